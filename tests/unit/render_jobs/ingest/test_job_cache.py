"""ingest_file and the render cache, with a fake sandbox runner that counts its calls."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from render_jobs.ingest.errors import IngestFailed, IngestRejected
from render_jobs.ingest.job import ingest_file
from render_jobs.ingest.params import IngestLimits, IngestParams
from render_jobs.ingest.pipeline import JobSpec
from render_jobs.ingest.report import IngestReport
from render_jobs.ingest.sandbox import SandboxOutcome, interpret
from tests.fakes.blobs import FakeBlobStore


class CountingBlobs(FakeBlobStore):
    def __init__(self) -> None:
        super().__init__()
        self.puts: list[str] = []

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts.append(key)
        await super().put(key, data, content_type)


class FakeRunner:
    """Stands in for the sandbox: answers with an accepted report, or a canned result."""

    def __init__(self, result: dict[str, object] | None = None, returncode: int = 0) -> None:
        self.calls = 0
        self.result = result
        self.returncode = returncode
        self.mains: list[str] = []

    def __call__(self, workdir: Path, limits: IngestLimits) -> SandboxOutcome:
        self.calls += 1
        job = JobSpec.model_validate_json((workdir / "job.json").read_text())
        self.mains.append(job.main)
        assert (workdir / "input" / job.main).is_file()
        result = self.result
        if result is None:
            report = IngestReport(
                key=job.key, params=job.params, source=job.source, verdict="accepted"
            )
            result = {"report": report.model_dump(mode="json")}
        return SandboxOutcome(result, self.returncode, ("validate",), "", timed_out=False)


async def test_second_ingest_of_the_same_bytes_does_no_processing():
    # given a store and a runner that counts
    blobs, runner = CountingBlobs(), FakeRunner()

    # when the same bytes are ingested twice
    first = await ingest_file(b"glTF...", None, blobs, name="chair.glb", runner=runner)
    puts_after_first = list(blobs.puts)
    second = await ingest_file(b"glTF...", None, blobs, name="chair.glb", runner=runner)

    # then the sandbox ran once, and the second call only read the stored report
    assert runner.calls == 1
    assert blobs.puts == puts_after_first
    assert puts_after_first[-1] == f"models/{first.key}/report.json"
    assert f"models/{first.key}/validation.json" in puts_after_first
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.model_copy(update={"from_cache": False}) == first
    assert len(first.key) == 64


async def test_other_parameters_or_other_bytes_mean_another_key():
    # given one input ingested with default parameters
    blobs, runner = CountingBlobs(), FakeRunner()
    base = await ingest_file(b"solid x", None, blobs, name="part.stl", runner=runner)

    # when the unit scale changes, or a byte of the input
    scaled = await ingest_file(
        b"solid x", IngestParams(unit_scale=0.001), blobs, name="part.stl", runner=runner
    )
    other = await ingest_file(b"solid y", None, blobs, name="part.stl", runner=runner)

    # then each is processed under its own key
    assert runner.calls == 3
    assert len({base.key, scaled.key, other.key}) == 3


async def test_rejections_are_cached_but_resource_limits_are_not():
    # given runners that reject for a file-type reason and for a resource limit
    blobs = CountingBlobs()
    typed = FakeRunner({"rejected": IngestRejected("file-type", "a.glb", "a PNG").to_dict()})
    limited = FakeRunner(None, returncode=-signal.SIGXCPU)
    limited.result = None

    class NoResult(FakeRunner):
        def __call__(self, workdir: Path, limits: IngestLimits) -> SandboxOutcome:
            self.calls += 1
            return SandboxOutcome(None, -signal.SIGXCPU, ("validate",), "", timed_out=False)

    slow = NoResult()

    # when each input is ingested twice
    for _ in range(2):
        png = await ingest_file(b"\x89PNG", None, blobs, name="a.glb", runner=typed)
        huge = await ingest_file(b"v 0 0 0", None, blobs, name="huge.obj", runner=slow)

    # then the typed rejection came from the cache the second time; the limit was retried
    assert (typed.calls, slow.calls) == (1, 2)
    assert png.from_cache is True
    assert png.rejection is not None
    assert png.rejection.check == "file-type"
    assert huge.rejection is not None
    assert huge.rejection.check == "resource-limit"
    assert huge.rejection.where == "validate"
    with pytest.raises(IngestRejected, match="file-type"):
        png.raise_for_rejection()


async def test_pipeline_failures_raise_and_store_nothing():
    # given a sandbox whose tool failed
    blobs = CountingBlobs()
    runner = FakeRunner({"failed": {"stage": "gltfpack", "reason": "exit status 1"}})

    # when ingested / then IngestFailed propagates and nothing was written
    with pytest.raises(IngestFailed, match="gltfpack"):
        await ingest_file(b"glTF", None, blobs, name="x.glb", runner=runner)
    assert blobs.puts == []


async def test_oversized_uploads_are_rejected_before_any_processing():
    # given a 2 KiB limit
    runner = FakeRunner()

    # when a 3 KiB upload arrives
    report = await ingest_file(
        b"x" * 3072,
        None,
        CountingBlobs(),
        name="big.glb",
        runner=runner,
        limits=IngestLimits(max_input_bytes=2048),
    )

    # then it is refused with size-limit and the sandbox never started
    assert report.rejection is not None
    assert (report.rejection.check, report.rejection.where) == ("size-limit", "big.glb")
    assert runner.calls == 0


def test_interpret_maps_timeouts_signals_and_crashes():
    limits = IngestLimits(cpu_seconds=7, wall_seconds=9.0)
    timed_out = SandboxOutcome(None, -signal.SIGKILL, ("validate", "normalize"), "", timed_out=True)
    killed = SandboxOutcome(None, -signal.SIGXCPU, ("validate",), "", timed_out=False)
    crashed = SandboxOutcome(None, 1, (), "Traceback: boom", timed_out=False)

    # when interpreted / then limits are rejections naming the stage; crashes are failures
    with pytest.raises(IngestRejected) as caught:
        interpret(timed_out, limits)
    assert (caught.value.check, caught.value.where) == ("resource-limit", "normalize")
    assert "9 s wall-clock" in caught.value.reason
    with pytest.raises(IngestRejected) as caught:
        interpret(killed, limits)
    assert "7 s of CPU" in caught.value.reason
    assert "SIGXCPU" in caught.value.reason
    with pytest.raises(IngestFailed, match="boom"):
        interpret(crashed, limits)
