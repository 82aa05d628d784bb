"""Renders ``docs/benchmarks-subscriptions.md`` from a finished fan-out run."""

from __future__ import annotations

import math
import os
import statistics
from typing import TYPE_CHECKING

from bench.load import percentile
from bench.report import machine_line

if TYPE_CHECKING:
    from bench.fanout import BroadcastTally
    from bench.subscriptions import Phase, SubscriptionBench

P99_TARGET_MS = 250.0
IDLE_TARGET_KIB = 50.0


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _kib(phase: Phase) -> str:
    return " / ".join(f"{m.per_connection / 1024:.1f}" for m in phase.memory)


def _verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def _rate(phase: Phase) -> float:
    return statistics.median(b.messages_per_second for b in phase.tally.measured)


def _errors(bench: SubscriptionBench) -> list[str]:
    lines: list[str] = []
    for phase in bench.phases:
        t = phase.tally
        if not t.exactly_once:
            lines.append(
                f"- **ERROR ({phase.key})**: {t.missed} missed and {t.duplicated} duplicated "
                f"subscriber x broadcast deliveries, {t.unexpected} messages of no broadcast."
            )
        for frame in phase.other_frames[:3]:
            lines.append(f"- **ERROR ({phase.key})**: unexpected frame `{frame[:200]}`")
    if not lines:
        return [
            "Every subscriber got every broadcast exactly once in every phase (counted per "
            "subscriber and broadcast, warm-up included; no error or `complete` frames).",
            "",
        ]
    return ["## Errors", "", *lines, "", "The command exited 1.", ""]


def _summary(bench: SubscriptionBench) -> list[str]:
    lines = [
        "## Results",
        "",
        "Latency is from the moment the driver sends the mutation (the baseline: its `POST "
        "/broadcast`) to the moment a subscriber's driver reads the message, both on the "
        "machine's monotonic clock; percentiles over every subscriber of every measured "
        "broadcast.",
        "",
        "| phase | subscribers | broadcasts | deliveries | p50 ms | p99 ms | max ms "
        "| messages/s (median broadcast) | mutation round trip p50 ms | RSS per idle connection "
        "KiB | server CPU ms / message | driver CPU ms / message | others busy |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for phase in bench.phases:
        t = phase.tally
        latencies = t.latencies_ms
        expected = phase.subscribers * len(t.measured)
        request = [b.broadcast.request_ms for b in t.measured]
        lines.append(
            f"| {phase.title} | {phase.subscribers:,} | {len(t.measured)} "
            f"| {len(latencies):,} / {expected:,} | {_ms(percentile(latencies, 50))} "
            f"| {_ms(percentile(latencies, 99))} | {_ms(max(latencies, default=math.nan))} "
            f"| {_rate(phase):,.0f} | {_ms(percentile(request, 50))} | {_kib(phase)} "
            f"| {phase.server_ms_per_message:.2f} | {phase.driver_ms_per_message:.2f} "
            f"| {phase.window.others_busy:.0%} |"
        )
    cores = os.cpu_count() or 1
    lines += [
        "",
        "*messages/s*: one broadcast's subscribers divided by the time its last one waited. "
        "*RSS per idle connection*: the server's resident memory after opening the "
        "subscriptions (and letting it go idle) minus before, divided by the subscriptions "
        "(one figure per process). *server CPU*: the server processes, all threads, over the "
        "measured broadcasts (the mutation itself included), per delivered message; *driver "
        "CPU*: the subscriber driver processes, the same way. *others busy*: every other "
        f"process on the machine (PostgreSQL, Redis, other users) as a share of {cores} cores "
        "over the broadcasts.",
        "",
    ]
    return lines


def _per_broadcast(phase: Phase) -> list[str]:
    lines = [
        f"### {phase.title}",
        "",
        f"{phase.subscribers:,} subscriptions opened in {phase.open_seconds:.1f} s by "
        f"{phase.drivers} driver processes.",
        "",
        "| # | mutation ms | p50 ms | p99 ms | max ms | messages/s | missed | duplicated |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for number, b in enumerate(phase.tally.broadcasts):
        lines.append(_broadcast_row("warm-up" if b.broadcast.warmup else str(number), b))
    memory = "; ".join(
        f"process {n + 1}: {m.before / 2**20:.0f} MiB before, {m.after / 2**20:.0f} MiB after"
        for n, m in enumerate(phase.memory)
    )
    lines += ["", f"RSS: {memory}.", ""]
    return lines


def _broadcast_row(label: str, b: BroadcastTally) -> str:
    return (
        f"| {label} | {_ms(b.broadcast.request_ms)} | {_ms(b.percentile_ms(50))} "
        f"| {_ms(b.percentile_ms(99))} | {_ms(b.max_ms)} | {b.messages_per_second:,.0f} "
        f"| {b.missed} | {b.duplicated} |"
    )


def _targets(bench: SubscriptionBench) -> list[str]:
    phases = {p.key: p for p in bench.phases}
    lines = ["## Targets", ""]
    gateway = phases.get("gateway")
    if gateway is not None:
        p99 = percentile(gateway.tally.latencies_ms, 99)
        worst = max(b.percentile_ms(99) for b in gateway.tally.measured)
        lines.append(
            f"- p99 under {P99_TARGET_MS:.0f} ms for a {gateway.subscribers:,}-subscriber "
            f"broadcast (one gateway): {_verdict(p99 < P99_TARGET_MS)}, {_ms(p99)} ms over "
            f"all measured broadcasts (the worst broadcast's p99: {_ms(worst)} ms)."
        )
    for phase in (p for p in bench.phases if p.key != "baseline"):
        worst_kib = max(m.per_connection for m in phase.memory) / 1024
        lines.append(
            f"- under {IDLE_TARGET_KIB:.0f} KiB per idle connection ({phase.title}): "
            f"{_verdict(worst_kib < IDLE_TARGET_KIB)}, {_kib(phase)} KiB."
        )
    redis = phases.get("redis")
    if redis is not None:
        p99 = percentile(redis.tally.latencies_ms, 99)
        lines.append(
            f"- two processes over Redis, {redis.subscribers:,} subscribers: p99 {_ms(p99)} ms "
            f"(no target of its own; against the 250 ms: {_verdict(p99 < P99_TARGET_MS)}), "
            f"exactly once: {'yes' if redis.tally.exactly_once else '**no**'}."
        )
    lines += [*(f"- not run: {reason}" for reason in bench.skipped), ""]
    return lines


def _against_baseline(bench: SubscriptionBench) -> list[str]:
    phases = {p.key: p for p in bench.phases}
    baseline, gateway = phases.get("baseline"), phases.get("gateway")
    if baseline is None or gateway is None:
        return []
    b99 = percentile(baseline.tally.latencies_ms, 99)
    g99 = percentile(gateway.tally.latencies_ms, 99)
    b_kib = max(m.per_connection for m in baseline.memory) / 1024
    g_kib = max(m.per_connection for m in gateway.memory) / 1024
    return [
        "## What the GraphQL layer costs",
        "",
        f"Same sockets, same driver, same payload: the gateway's p99 is {_ms(g99)} ms against "
        f"the bare broadcast's {_ms(b99)} ms ({g99 / b99:.1f}x); its CPU per delivered message "
        f"{gateway.server_ms_per_message:.2f} ms against {baseline.server_ms_per_message:.2f} ms "
        f"({gateway.server_ms_per_message / baseline.server_ms_per_message:.1f}x); its memory "
        f"per idle connection {g_kib:.1f} KiB against {b_kib:.1f} KiB. The gateway's figures "
        "include the mutation (PostgreSQL transaction, audit row) and, per subscriber, an "
        "event-bus queue, the subscription's async generator and filter, and one GraphQL "
        "execution of the selection per event (strawberry/graphql-core); the baseline "
        "serialises one small JSON object per socket.",
        "",
        f"One uvicorn process is one event loop on one core: at "
        f"{gateway.server_ms_per_message:.2f} ms of CPU per delivered message, a "
        f"{gateway.subscribers:,}-subscriber broadcast needs about "
        f"{gateway.server_ms_per_message * gateway.subscribers:,.0f} ms of the gateway's CPU "
        f"before the last subscriber is served, however idle the machine; a p99 under "
        f"{P99_TARGET_MS:.0f} ms needs under {P99_TARGET_MS / gateway.subscribers:.3f} ms per "
        "message. Broadcasts far slower than that figure (see *Per broadcast*) waited for "
        "something else as well: other processes on the cores (*others busy*), or pauses of "
        "the process itself; this run does not tell which.",
        "",
    ]


def _driver_note(bench: SubscriptionBench) -> list[str]:
    if not bench.phases:
        return []
    worst = max(bench.phases, key=lambda p: p.window.drivers / (p.window.wall or 1))
    share = worst.window.drivers / (worst.window.wall or 1)
    return [
        "## The driver",
        "",
        f"The subscribers are {bench.plan.drivers} driver processes (per phase; split between "
        "the servers in the Redis phase), each an asyncio (uvloop) `websockets` client that "
        "only stamps and keeps each frame while measuring and parses them afterwards. They "
        f"share the {os.cpu_count()} cores with the servers: in the busiest phase "
        f"({worst.key}) {worst.driver_ms_per_message:.2f} ms of CPU per message, {share:.0%} "
        "of one core over the broadcasts (each phase's figure is in *Results*). Every millisecond they take is a millisecond the "
        "server does not get, so the latencies here are upper bounds for a server with the "
        "cores to itself.",
        "",
    ]


def render_subscriptions(bench: SubscriptionBench) -> str:
    """The whole Markdown report."""
    plan = bench.plan
    command = " ".join(["python -m bench.subscriptions", *bench.argv])
    lines = [
        "# Benchmarks: subscription fan-out",
        "",
        f"Written by `make bench` (`{command}`) on {bench.started:%Y-%m-%d %H:%M} UTC "
        f"(whole run {bench.elapsed_seconds:.0f} s); do not edit by hand, run it again.",
        "",
        "## Machine and command",
        "",
        f"- {machine_line()}",
        f"- 1-minute load average: {bench.load_average:.2f} at start, "
        f"{bench.load_average_end:.2f} at the end; waited {bench.quiet_waited_seconds:.0f} s "
        "for other processes to leave the CPU before broadcasts (other engineers share "
        "this machine)",
        f"- {plan.subscribers:,} subscribers per server process, {plan.drivers} driver "
        f"processes, one warm-up and {plan.broadcasts} measured broadcasts per phase, "
        f"{plan.pause_seconds:g} s apart",
        "",
        "## What runs",
        "",
        "- **Servers**: uvicorn child processes, one worker each, uvloop, httptools, uvicorn's "
        "default WebSocket implementation. Data: moto (DynamoDB) and a fresh PostgreSQL "
        "database, the checkout bench's products and stock.",
        "- **Baseline**: `bench/broadcast_server.py`, a bare Starlette WebSocket endpoint "
        "that acks `connection_init`, remembers the `subscribe` id and pushes the same "
        "`next` message to every socket on `POST /broadcast`.",
        "- **Gateway**: `create_app` (profile `test`, in-process event bus); every subscriber "
        "is its own Cognito user (bench static tokens, `bench:subscriber-<n>`) holding "
        "`subscription { onInventoryChanged(sku) { sku available } }` over "
        "graphql-transport-ws; the broadcast is `inventoryAdjust(delta: 1)` by a merchant "
        "admin over HTTP, whose new `available` marks the event.",
        "- **Redis**: two such gateways with `REDIS_URL` (a channel prefix of the run's own), "
        "the subscribers split evenly, the mutation through the first.",
        "",
        *_errors(bench),
        *_summary(bench),
        *_targets(bench),
        *_against_baseline(bench),
        *_driver_note(bench),
        "## Per broadcast",
        "",
    ]
    for phase in bench.phases:
        lines += _per_broadcast(phase)
    return "\n".join(lines).rstrip() + "\n"
