"""The sandbox: one child process per ingest, with CPU-time, memory and wall-clock limits.

The worker (``job.ingest_file``) writes the input and ``job.json`` into a fresh work folder
and starts ``python -m render_jobs.ingest.sandbox WORKDIR``. The child sets its own limits
first thing (``RLIMIT_CPU``, ``RLIMIT_AS``, no core dumps), before it reads a byte of the
input, so no ``preexec_fn`` runs in the (multi-threaded) worker. It prints ``stage NAME``
lines as it goes and writes ``result.json``. The worker kills the whole process group at the
wall-clock limit. A child that dies from a limit (SIGXCPU, SIGKILL, MemoryError) becomes an
``IngestRejected('resource-limit')`` naming the stage it was in; it never takes the worker down.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from render_jobs.ingest.errors import IngestFailed, IngestRejected
from render_jobs.ingest.params import IngestLimits

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
_LIMIT_SIGNALS = frozenset({-signal.SIGXCPU, -signal.SIGKILL})


@dataclass(frozen=True)
class SandboxOutcome:
    """What came back from one sandbox run."""

    result: dict[str, object] | None
    returncode: int
    stages: tuple[str, ...]
    stderr: str
    timed_out: bool

    @property
    def last_stage(self) -> str:
        """The stage the child was in when it stopped."""
        return self.stages[-1] if self.stages else "start"


def run_sandboxed(workdir: Path, limits: IngestLimits) -> SandboxOutcome:
    """Run the sandbox on ``workdir`` (blocking; call it through ``asyncio.to_thread``)."""
    # A minimal environment: no cloud credentials or service URLs reach the sandbox.
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env["PYDANTIC_DISABLE_PLUGINS"] = "1"  # skips a slow entry-point scan at start
    process = subprocess.Popen(
        [sys.executable, "-m", "render_jobs.ingest.sandbox", str(workdir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # one process group: the node tools die with it
        env=env,
        cwd=workdir,
    )
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process.pid)
        stdout, stderr = process.communicate()
    finally:
        _kill_group(process.pid)  # leftovers (a tool the child started) go too
    result_path = workdir / "result.json"
    result = json.loads(result_path.read_text()) if result_path.is_file() else None
    stages = tuple(
        line[6:].strip()
        for line in stdout.decode("utf-8", "replace").splitlines()
        if line.startswith("stage ")
    )
    return SandboxOutcome(
        result=result,
        returncode=process.returncode,
        stages=stages,
        stderr=stderr.decode("utf-8", "replace")[-4000:],
        timed_out=timed_out,
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def interpret(outcome: SandboxOutcome, limits: IngestLimits) -> dict[str, object]:
    """The child's result, or the typed error that explains why there is none."""
    result = outcome.result
    if outcome.timed_out:
        raise IngestRejected(
            "resource-limit",
            outcome.last_stage,
            f"processing ran past the {limits.wall_seconds:g} s wall-clock limit",
        )
    if result is not None:
        if "rejected" in result:
            raise IngestRejected.from_dict(result["rejected"])  # type: ignore[arg-type]
        if "failed" in result:
            failed: dict[str, str] = result["failed"]  # type: ignore[assignment]
            raise IngestFailed(failed["stage"], failed["reason"])
        return result
    if outcome.returncode in _LIMIT_SIGNALS:
        raise IngestRejected(
            "resource-limit",
            outcome.last_stage,
            f"processing used more than {limits.cpu_seconds} s of CPU time (killed by "
            f"{signal.Signals(-outcome.returncode).name})",
        )
    raise IngestFailed(
        outcome.last_stage,
        f"the sandbox exited with status {outcome.returncode}: {outcome.stderr.strip()[-1500:]}",
    )


# ----------------------------------------------------------------------------- the child


def _apply_limits(limits: IngestLimits) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = limits.cpu_seconds
    hard = cpu + 5 if cpu_hard == resource.RLIM_INFINITY else min(cpu + 5, cpu_hard)
    resource.setrlimit(resource.RLIMIT_CPU, (min(cpu, hard), hard))
    # Only the soft limit: node tools started from here raise it back to the hard limit
    # and take RLIMIT_DATA instead (see tools.py).
    _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
    memory = limits.memory_bytes
    if as_hard != resource.RLIM_INFINITY:
        memory = min(memory, as_hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, as_hard))


def _write_result(workdir: Path, payload: dict[str, object]) -> None:
    temporary = workdir / "result.json.tmp"
    temporary.write_text(json.dumps(payload))
    temporary.replace(workdir / "result.json")


def main(argv: list[str]) -> int:
    """Entry point of ``python -m render_jobs.ingest.sandbox WORKDIR``."""
    workdir = Path(argv[1])
    limits = IngestLimits.model_validate(json.loads((workdir / "job.json").read_text())["limits"])
    _apply_limits(limits)

    def announce(stage: str) -> None:
        print(f"stage {stage}", flush=True)

    current = ["start"]

    def track(stage: str) -> None:
        current[0] = stage
        announce(stage)

    try:
        from render_jobs.ingest.pipeline import JobSpec, run_ingest, validate_only

        job = JobSpec.model_validate_json((workdir / "job.json").read_text())
        if job.mode == "validate":
            summary = validate_only(job, workdir, track)
            _write_result(workdir, {"validation": summary.model_dump(mode="json")})
        else:
            report = run_ingest(job, workdir, track)
            _write_result(workdir, {"report": report.model_dump(mode="json")})
    except IngestRejected as error:
        _write_result(workdir, {"rejected": error.to_dict()})
    except MemoryError:
        rejected = IngestRejected(
            "resource-limit",
            current[0],
            f"processing needed more than the {limits.memory_bytes // 2**20} MiB memory limit",
        )
        _write_result(workdir, {"rejected": rejected.to_dict()})
    except IngestFailed as error:
        _write_result(workdir, {"failed": {"stage": error.stage, "reason": error.reason}})
    except Exception as error:  # reported to the worker, never raised there
        detail = "".join(traceback.format_exception(error))[-3000:]
        _write_result(workdir, {"failed": {"stage": current[0], "reason": f"{error!r}\n{detail}"}})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
