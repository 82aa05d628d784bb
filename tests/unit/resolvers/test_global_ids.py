from __future__ import annotations

import pytest

from resolvers.errors import InvalidId
from resolvers.global_ids import expect_global_id, from_global_id, to_global_id


def test_round_trip_with_unicode_and_colons() -> None:
    given = to_global_id("Product", "a:b/ü")
    assert from_global_id(given) == ("Product", "a:b/ü")
    assert "=" not in given


@pytest.mark.parametrize("garbage", ["", "!!!", "UHJvZHVjdA", "w6k", "VXNlcjox", "UHJvZHVjdDo"])
def test_garbage_is_invalid(garbage: str) -> None:
    with pytest.raises(InvalidId):
        from_global_id(garbage)


def test_wrong_type_is_named() -> None:
    with pytest.raises(InvalidId, match="is the ID of a Category, not of a Product"):
        expect_global_id(to_global_id("Category", "x"), "Product")
