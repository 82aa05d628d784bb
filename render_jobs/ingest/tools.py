"""The node tools of the pipeline (``render_jobs/node``: gltf-validator, gltfpack), run as
child processes with their own CPU, memory and wall-clock limits.

Memory is bounded with ``RLIMIT_DATA`` rather than ``RLIMIT_AS`` here: V8 reserves tens of GiB
of address space for WebAssembly memories (gltfpack is a WASM build), so any useful address
space limit stops it from starting, while the data limit counts only memory really written.
Call this from the single-threaded sandbox process only: ``preexec_fn`` is not safe in a
process that runs threads.
"""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from render_jobs.ingest.errors import IngestFailed, IngestRejected
from render_jobs.ingest.params import IngestLimits

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
INSTALL_HINT = "run `npm ci` in render_jobs/node (make install does it)"


def node_binary() -> str:
    """Path of ``node``; ``IngestFailed`` when absent."""
    found = shutil.which("node")
    if found is None:
        raise IngestFailed("tools", "Node.js is not installed (the `node` command is missing)")
    return found


def tool_script(package: str, script: str) -> Path:
    """A file of an npm package under ``render_jobs/node/node_modules``."""
    path = NODE_DIR / "node_modules" / package / script
    if not path.is_file():
        raise IngestFailed("tools", f"{package} is not installed: {INSTALL_HINT}")
    return path


def _limiter(limits: IngestLimits) -> Callable[[], None]:
    def apply() -> None:  # runs in the forked child, before exec
        _, hard_as = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard_as, hard_as))
        resource.setrlimit(
            resource.RLIMIT_DATA, (limits.tool_memory_bytes, limits.tool_memory_bytes)
        )
        resource.setrlimit(
            resource.RLIMIT_CPU, (limits.tool_cpu_seconds, limits.tool_cpu_seconds + 5)
        )
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_tool(argv: list[str], stage: str, limits: IngestLimits, cwd: Path | None = None) -> str:
    """Run a node tool; return its stdout. Limits reject with ``resource-limit``; any other
    failure is the pipeline's (``IngestFailed``)."""
    try:
        done = subprocess.run(  # a fixed argv built by this module
            argv,
            capture_output=True,
            timeout=limits.wall_seconds,
            preexec_fn=_limiter(limits),  # safe: the sandbox is single-threaded
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise IngestRejected(
            "resource-limit", stage, f"{Path(argv[1]).name} ran past {limits.wall_seconds:g} s"
        ) from error
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise IngestRejected(
            "resource-limit",
            stage,
            f"the {stage} tool used more than {limits.tool_cpu_seconds} s of CPU",
        )
    if "out of memory" in stderr.lower() or "allocation failed" in stderr.lower():
        raise IngestRejected(
            "resource-limit",
            stage,
            f"the {stage} tool needed more than {limits.tool_memory_bytes // 2**20} MiB",
        )
    if done.returncode != 0:
        raise IngestFailed(stage, f"exit status {done.returncode}: {stderr.strip()[-2000:]}")
    return done.stdout.decode("utf-8", "replace")


def khronos_validate(path: Path, root: Path, limits: IngestLimits) -> dict[str, Any]:
    """Run the Khronos glTF validator; return a summary of its report, or raise
    ``IngestRejected('khronos-validator')`` with every error's code, pointer and message."""
    tool_script("gltf-validator", "package.json")
    script = NODE_DIR / "validate.cjs"
    output = run_tool([node_binary(), str(script), str(path), str(root)], "khronos", limits)
    try:
        report: dict[str, Any] = json.loads(output)
    except json.JSONDecodeError as error:
        raise IngestFailed("khronos", f"unreadable validator output: {output[:200]!r}") from error
    if "fatal" in report:
        raise IngestRejected("khronos-validator", "/", str(report["fatal"]))
    issues = report.get("issues", {})
    messages = [m for m in issues.get("messages", []) if isinstance(m, dict)]
    errors = [m for m in messages if m.get("severity") == 0]
    if errors:
        first = errors[0]
        raise IngestRejected(
            "khronos-validator",
            str(first.get("pointer") or "/"),
            f"{first.get('code')}: {first.get('message')}"
            + (f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""),
            details=tuple(
                f"{m.get('code')} at {m.get('pointer') or '/'}: {m.get('message')}" for m in errors
            ),
        )
    info = report.get("info", {})
    return {
        "validatorVersion": report.get("validatorVersion"),
        "numErrors": issues.get("numErrors", 0),
        "numWarnings": issues.get("numWarnings", 0),
        "numInfos": issues.get("numInfos", 0),
        "numHints": issues.get("numHints", 0),
        "warnings": [
            f"{m.get('code')} at {m.get('pointer') or '/'}: {m.get('message')}"
            for m in messages
            if m.get("severity") == 1
        ][:50],
        "totalTriangleCount": info.get("totalTriangleCount"),
        "totalVertexCount": info.get("totalVertexCount"),
        "extensionsUsed": info.get("extensionsUsed", []),
    }


def simplification_errors(ratio: float) -> tuple[float, ...]:
    """gltfpack error bounds to try, in order, for a target ratio.

    The first is 1% of the mesh extent for halving, growing to 5% for a tenth: quadric
    simplification keeps silhouettes under it. Low-poly and many-part models stop far above
    small targets at that bound, so the bound doubles (up to 16%) until the result is within
    ``TARGET_SLACK`` of the target: lower LODs are seen from further away. ``-sa``
    (aggressive mode) is never used: it reaches any target by collapsing shapes."""
    first = min(0.05, max(0.01, 0.005 / ratio))
    errors = [first]
    while errors[-1] * 2 <= 0.16 + 1e-9:
        errors.append(errors[-1] * 2)
    return tuple(errors)


TARGET_SLACK = 1.2


@dataclass(frozen=True)
class PackJob:
    """One gltfpack job: simplify ``source`` to ``target_triangles`` (quadric error metric;
    materials, textures and ``KHR_materials_variants`` are kept) writing plain float data
    (``-noq``) that any reader (trimesh, usd-core, this package) can load; or, with
    ``compress``, meshopt-compress it as is (``-cc``, quantized) for delivery."""

    source: Path
    target: Path
    ratio: float = 1.0
    target_triangles: int | None = None
    compress: bool = False

    @property
    def report(self) -> Path:
        """Where gltfpack writes its JSON report."""
        return self.target.with_suffix(".report.json")

    def spec(self) -> dict[str, Any]:
        """The job for ``pack.mjs``."""
        base = ["-i", str(self.source), "-o", str(self.target), "-r", str(self.report)]
        base += ["-cc"] if self.compress else ["-noq"]
        if self.ratio >= 1.0:
            return {"tries": [base], "report": str(self.report), "maxTriangles": None}
        tries = [
            [*base, "-si", f"{self.ratio:g}", "-se", f"{error:g}"]
            for error in simplification_errors(self.ratio)
        ]
        limit = None
        if self.target_triangles is not None:
            limit = int(TARGET_SLACK * self.target_triangles)
        return {"tries": tries, "report": str(self.report), "maxTriangles": limit}


def gltfpack(jobs: list[PackJob], stage: str, limits: IngestLimits) -> list[dict[str, Any]]:
    """Run gltfpack jobs in one node process (``pack.mjs``); return each job's JSON report."""
    tool_script("gltfpack", "library.js")
    spec = jobs[0].target.parent / f"{stage}-jobs.json"
    spec.write_text(json.dumps([job.spec() for job in jobs]))
    output = run_tool([node_binary(), str(NODE_DIR / "pack.mjs"), str(spec)], stage, limits)
    try:
        results = json.loads(output)
    except json.JSONDecodeError as error:
        raise IngestFailed(stage, f"unreadable gltfpack output: {output[:200]!r}") from error
    reports: list[dict[str, Any]] = []
    for job, result in zip(jobs, results, strict=True):
        if not result.get("ok") or not job.target.is_file():
            raise IngestFailed(stage, f"gltfpack on {job.source.name}: {result.get('error')}")
        try:
            reports.append(json.loads(job.report.read_text()))
        except (OSError, json.JSONDecodeError):
            reports.append({})
    return reports
