"""The real sandbox process: hostile files rejected, limits enforced, the Khronos validator."""

from __future__ import annotations

import asyncio
import time

import pytest

from render_jobs.glb import write_glb
from render_jobs.ingest import IngestLimits, IngestRejected, ingest_file, validate_file
from tests.fakes.blobs import FakeBlobStore
from tests.integration.ingest.conftest import BAD_ASSETS, BAD_FILES, needs_assets
from tests.unit.render_jobs.ingest.builders import png_bytes, textured_quad

OBJ_BLOCK = b"v 0.000000 0.000000 0.000000\nv 1.000000 0.000000 0.000000\nv 0.000000 1.000000 0.000000\nf -3 -2 -1\n"


@needs_assets
async def test_every_bad_file_is_rejected_by_the_sandboxed_ingest():
    # given the hostile files and an empty store
    blobs = FakeBlobStore()
    gate = asyncio.Semaphore(2)

    async def ingest(name: str):
        async with gate:
            return name, await ingest_file(BAD_ASSETS / name, None, blobs)

    # when each is ingested through the real sandbox
    reports = dict(await asyncio.gather(*(ingest(n) for n in sorted(BAD_FILES))))

    # then each is rejected for the expected reason, and no output but its report is stored
    for name, (check, where) in BAD_FILES.items():
        rejection = reports[name].rejection
        assert rejection is not None, name
        assert (rejection.check, rejection.where) == (check, where), name
        assert reports[name].lods == ()
    assert all(key.endswith("/report.json") for key in blobs.objects)
    assert len(blobs.objects) == len(BAD_FILES)


async def test_cpu_hungry_input_is_stopped_and_reported_as_resource_limit(tmp_path):
    # given a 40 MB OBJ (valid, repetitive) and one CPU second
    path = tmp_path / "huge.obj"
    path.write_bytes(b"o huge\n" + OBJ_BLOCK * (40_000_000 // len(OBJ_BLOCK)))

    # when ingested
    started = time.monotonic()
    report = await ingest_file(path, None, FakeBlobStore(), limits=IngestLimits(cpu_seconds=1))

    # then the sandbox was killed by the CPU limit while validating; the worker lives on
    assert report.rejection is not None
    assert (report.rejection.check, report.rejection.where) == ("resource-limit", "validate")
    assert "1 s of CPU" in report.rejection.reason
    assert time.monotonic() - started < 30


async def test_wall_clock_limit_kills_the_sandbox(tmp_path):
    # given the same kind of input and half a second of wall-clock time
    path = tmp_path / "slow.obj"
    path.write_bytes(b"o slow\n" + OBJ_BLOCK * (40_000_000 // len(OBJ_BLOCK)))

    # when ingested
    report = await ingest_file(path, None, FakeBlobStore(), limits=IngestLimits(wall_seconds=0.5))

    # then it is a resource-limit rejection that names the wall-clock limit
    assert report.rejection is not None
    assert report.rejection.check == "resource-limit"
    assert "0.5 s wall-clock" in report.rejection.reason


def test_khronos_validator_errors_reject_with_json_pointers(tmp_path):
    # given a GLB our structural checks accept but whose accessor max lies
    gltf, binary = textured_quad(png_bytes())
    gltf["accessors"][0]["max"] = [2.0, 2.0, 0.0]
    path = tmp_path / "liar.glb"
    path.write_bytes(write_glb(gltf, binary))

    # when validated in the sandbox
    with pytest.raises(IngestRejected) as caught:
        validate_file(path)

    # then the validator's code, message and pointer come back
    assert caught.value.check == "khronos-validator"
    assert caught.value.where == "/accessors/0/max/0"
    assert caught.value.reason.startswith("ACCESSOR_MAX_MISMATCH")
    assert any(
        d.startswith("ACCESSOR_MAX_MISMATCH at /accessors/0/max/1") for d in caught.value.details
    )


def test_validate_file_summarises_a_good_model(tmp_path):
    path = tmp_path / "quad.glb"
    path.write_bytes(write_glb(*textured_quad(png_bytes())))

    summary = validate_file(path)

    assert (summary.kind, summary.triangles) == ("glb", 2)
    assert summary.khronos is not None
    assert summary.khronos["numErrors"] == 0
