"""The in-process TaggedCache: purges by tag, generations, and a bounded index."""

from __future__ import annotations

from datasources.cache.tagged_in_process import InProcessTaggedCache


async def test_purge_removes_only_entries_with_the_tag() -> None:
    # given two entries sharing one tag and a third without it
    cache = InProcessTaggedCache()
    generation = await cache.generation()
    assert await cache.put("a", b"1", 60, {"product:1", "sku:1"}, generation=generation)
    assert await cache.put("b", b"2", 60, {"product:1"}, generation=generation)
    assert await cache.put("c", b"3", 60, {"product:2"}, generation=generation)
    # when product 1 is purged
    removed = await cache.purge({"product:1"})
    # then exactly its two entries are gone, and their tags with them
    assert removed == 2
    assert await cache.get("a") is None
    assert await cache.get("b") is None
    assert await cache.get("c") == b"3"
    assert cache.tag_count == 1


async def test_a_value_computed_before_a_purge_is_not_stored() -> None:
    cache = InProcessTaggedCache()
    generation = await cache.generation()
    await cache.purge({"product:9"})
    stored = await cache.put("a", b"stale", 60, {"product:9"}, generation=generation)
    assert stored is False
    assert await cache.get("a") is None


async def test_expired_entries_are_misses() -> None:
    cache = InProcessTaggedCache()
    await cache.put("a", b"1", 0, {"t"}, generation=0)
    assert await cache.get("a") is None
    assert cache.tag_count == 0


async def test_many_distinct_keys_and_tags_stay_bounded() -> None:
    # given a bound of 10 entries, when 1,000 entries with their own tags are stored
    cache = InProcessTaggedCache(max_entries=10)
    for index in range(1_000):
        await cache.put(f"k{index}", b"x" * 10, 60, {f"tag:{index}", "shared"}, generation=0)
    # then only the newest 10 and their tags are kept
    assert len(cache) == 10
    assert cache.tag_count == 11
    assert await cache.get("k999") == b"xxxxxxxxxx"
    assert await cache.get("k0") is None
    assert await cache.purge({"shared"}) == 10
    assert cache.tag_count == 0
