"""The fan-out benchmark's counting: exactly once per subscriber and broadcast, latencies,
rates, and the messages it reads."""

from __future__ import annotations

import math

import pytest

from bench.fanout import NO_MARKER, Broadcast, marker_of, next_message, tally


def test_every_subscriber_once_gives_one_latency_each_from_the_send_time() -> None:
    # given two broadcasts sent at 10.0 s and 20.0 s, and three subscribers that got both
    broadcasts = [Broadcast(101, 10.0, 10.01, warmup=True), Broadcast(102, 20.0, 20.01)]
    deliveries = [
        [(10.005, 101), (20.010, 102)],
        [(10.006, 101), (20.020, 102)],
        [(10.007, 101), (20.040, 102)],
    ]
    # when they are tallied
    result = tally(broadcasts, deliveries)
    # then each broadcast has one latency per subscriber, in ms from its send time
    assert result.exactly_once
    measured = result.measured
    assert [b.broadcast.marker for b in measured] == [102]
    assert measured[0].latencies_ms == pytest.approx((10.0, 20.0, 40.0))
    assert result.latencies_ms == pytest.approx([10.0, 20.0, 40.0])
    # and the percentiles interpolate linearly, the rate is subscribers over the last latency
    assert measured[0].percentile_ms(50) == pytest.approx(20.0)
    assert measured[0].percentile_ms(99) == pytest.approx(39.6)
    assert measured[0].max_ms == pytest.approx(40.0)
    assert measured[0].messages_per_second == pytest.approx(3 / 0.040)


def test_a_duplicate_a_miss_and_a_stray_message_are_each_counted() -> None:
    # given two broadcasts; subscriber 0 got the first twice, subscriber 1 missed the second,
    # subscriber 2 also got a message of no broadcast (an error result)
    broadcasts = [Broadcast(1, 0.0, 0.0), Broadcast(2, 1.0, 1.0)]
    deliveries = [
        [(0.2, 1), (0.1, 1), (1.1, 2)],
        [(0.1, 1)],
        [(0.1, 1), (1.1, 2), (1.2, NO_MARKER)],
    ]
    # when they are tallied
    result = tally(broadcasts, deliveries)
    # then each error is counted once, where it happened, and the run is not exactly once
    first, second = result.broadcasts
    assert (first.duplicated, first.missed, first.delivered) == (1, 0, 3)
    assert (second.duplicated, second.missed, second.delivered) == (0, 1, 2)
    assert result.unexpected == 1
    assert (result.duplicated, result.missed) == (1, 1)
    assert not result.exactly_once
    # and the duplicate's latency is its first copy's
    assert first.latencies_ms[0] == pytest.approx(100.0)


def test_a_broadcast_nobody_got_has_no_latency_and_no_rate() -> None:
    # given a broadcast that reached none of two subscribers
    result = tally([Broadcast(7, 0.0, 0.0)], [[], []])
    # then it is two misses, with no percentile and no rate
    only = result.broadcasts[0]
    assert (only.missed, only.delivered) == (2, 0)
    assert math.isnan(only.percentile_ms(99))
    assert only.messages_per_second == 0.0


def test_two_broadcasts_with_one_marker_are_refused() -> None:
    # given two broadcasts that carry the same marker, then they cannot be told apart
    with pytest.raises(ValueError, match="share a marker"):
        tally([Broadcast(3, 0.0, 0.0), Broadcast(3, 1.0, 1.0)], [[]])


def test_the_marker_is_read_from_the_gateways_next_message() -> None:
    # given a next message as the gateway and the baseline send it, and an error result
    message = next_message("1", "SKU-1", 1042)
    error = b'{"id":"1","type":"next","payload":{"data":null,"errors":[{"message":"x"}]}}'
    # then the marker is the units available, and an error has none
    assert marker_of(message) == 1042
    assert marker_of(message.decode()) == 1042
    assert marker_of(error) == NO_MARKER
    assert marker_of(b"not json") == NO_MARKER
