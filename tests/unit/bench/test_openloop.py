"""The open-loop generator's own arithmetic: arrival schedule, window, latency accounting."""

from __future__ import annotations

import orjson
import pytest

from bench.bare import payload
from bench.openloop import (
    Plan,
    Request,
    RunResult,
    Stream,
    StreamResult,
    merge,
    outcome,
    schedule,
    slots,
)

GET = Request("GET", "/")


def _plan(*rates: float, warmup: float = 1.0, seconds: float = 2.0) -> Plan:
    streams = tuple(Stream(f"s{i}", rate, (GET,)) for i, rate in enumerate(rates))
    return Plan("http://127.0.0.1:1", streams, warmup, seconds)


def test_a_stream_is_due_at_constant_intervals_for_the_whole_run() -> None:
    # given a 100/s stream over warm-up 1 s + window 2 s
    plan = _plan(100.0)

    # when one driver process takes every slot
    due = schedule(plan, 0, 1)

    # then 300 requests are due, one every 10 ms from 0
    assert len(due) == 300
    assert [round(t, 6) for t, _, _ in due[:3]] == [0.0, 0.01, 0.02]
    assert due[-1][0] == pytest.approx(2.99)
    assert [slot for _, _, slot in due] == list(range(300))


def test_driver_processes_share_the_schedule_without_gaps_or_overlaps() -> None:
    # given two streams at rates that do not divide each other
    plan = _plan(333.0, 7.0)

    # when three driver processes each take their share
    shares = [schedule(plan, worker, 3) for worker in range(3)]

    # then together they send exactly the single-process schedule
    together = sorted(entry for share in shares for entry in share)
    assert together == schedule(plan, 0, 1)
    assert [len(share) for share in shares] == [340, 340, 340]
    assert list(slots(7.0, 3.0, 1, 3)) == [1, 4, 7, 10, 13, 16, 19]


def test_only_requests_due_inside_the_window_are_measured() -> None:
    plan = _plan(10.0, warmup=1.0, seconds=2.0)

    assert [plan.measured(t) for t in (0.0, 0.999, 1.0, 2.5, 2.999, 3.0)] == [
        False,
        False,
        True,
        True,
        True,
        False,
    ]


def test_latency_runs_from_the_intended_time_and_lag_from_it_to_the_send() -> None:
    # given a request due at 1.000 s that the driver sent 50 ms late and that took 10 ms
    result = StreamResult("catalog")

    # when it is recorded
    result.record(intended=1.0, sent=1.05, done=1.06, result="ok")

    # then its latency includes the 50 ms it waited to be sent (no coordinated omission)
    assert result.latencies_ms == [pytest.approx(60.0)]
    assert result.lags_ms == [pytest.approx(50.0)]
    assert (result.requests, result.errors, result.first_error) == (1, 0, None)


def test_errors_and_rates_are_counted_per_stream_across_driver_processes() -> None:
    # given two processes' results for a 2-second window
    plan = _plan(10.0, seconds=2.0)
    first, second = StreamResult("s0"), StreamResult("s0")
    first.record(1.0, 1.0, 1.02, "ok")
    first.record(1.1, 1.1, 3.1, "timeout", "no answer in 2 s")
    second.record(1.2, 1.2, 1.23, "ok")
    second.record(1.3, 1.3, 1.31, "ok")

    # when they are merged
    merged = merge(
        plan, [RunResult(plan, {"s0": first}, 0.5), RunResult(plan, {"s0": second}, 0.7)]
    )

    # then counts, rates and driver CPU add up, and the timeout keeps its full latency
    stream = merged.streams["s0"]
    assert (stream.requests, stream.errors) == (4, 1)
    assert stream.outcomes == {"ok": 3, "timeout": 1}
    assert merged.rate("s0") == pytest.approx(1.5)
    assert merged.rate("s0", None) == pytest.approx(2.0)
    assert max(stream.latencies_ms) == pytest.approx(2000.0)
    assert stream.first_error == "timeout: no answer in 2 s"
    assert merged.driver_busy == pytest.approx(1.2 / 3.0)


def test_an_answer_is_classified_by_its_first_error_code_status_or_expected_bytes() -> None:
    limited = (
        b'{"data":null,"errors":[{"message":"x","extensions":{"code":"DEPTH_LIMIT_EXCEEDED"}}]}'
    )

    assert outcome(200, limited, None) == "DEPTH_LIMIT_EXCEEDED"
    assert outcome(429, b'{"errors":[{"message":"slow down"}]}', None) == "http_429"
    assert outcome(502, b"bad gateway", None) == "http_502"
    assert outcome(200, b'{"data":{"cart":null}}', b'"cart":{') == "unexpected"
    assert outcome(200, b'{"data":{"cart":{"id":"1"}}}', b'"cart":{') == "ok"


def test_the_bare_endpoint_answers_exactly_the_size_asked_for() -> None:
    assert [len(orjson.dumps(payload(size))) for size in (2402, 500)] == [2402, 500]
