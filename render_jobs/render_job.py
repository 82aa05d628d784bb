"""Running one render job: posters or turntables per variant, stored under content-hash keys.

The key of a variant's files is the SHA-256 of the GLB bytes plus every parameter that
changes the pixels (kind, size, frames, variant, renderer revision), so identical asset and
parameters are rendered once: the files live under ``renders/<hash>/`` and a
``manifest.json`` written *after* them marks the set complete. A job that finds the manifest
reuses it; a job that died mid-upload left no manifest, so its partial files are never
registered and the next attempt renders again. Each file is retried while S3 is briefly
unavailable (``put_retrying``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from datasources.job_records import RenderKind, RenderOutput, RenderRole, RenderSpec
from datasources.ports import BlobStore
from render_jobs.render import Renderer, RenderThread, render_posters, render_turntables
from render_jobs.render.outputs import PNG_TYPE, WEBP_TYPE
from render_jobs.uploads import put_retrying

RENDER_PREFIX = "renders"
MANIFEST_NAME = "manifest.json"
RENDERER_REVISION = 1
"""Bump when the renderer's look changes, so cached renders are not reused."""

Progress = Callable[[str, int], Awaitable[None]]


@dataclass(frozen=True)
class RenderResult:
    """The files of every requested variant, and how many variants were rendered anew."""

    outputs: tuple[RenderOutput, ...]
    rendered: int
    cached: int


def render_hash(glb_sha256: str, spec: RenderSpec, variant: str | None) -> str:
    """Content hash of one variant's render: the GLB and every pixel-changing parameter."""
    identity = {
        "glb": glb_sha256,
        "kind": spec.kind.value,
        "size": spec.size,
        "frames": spec.frames if spec.kind is RenderKind.TURNTABLE else 1,
        "variant": variant,
        "revision": RENDERER_REVISION,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _files(
    renderer: Renderer, glb: bytes, spec: RenderSpec, variant: str | None
) -> list[tuple[str, bytes, str, int, int, int, int]]:
    """(role, bytes, content type, width, height, columns, rows) of one variant."""
    if spec.kind is RenderKind.POSTER:
        [poster] = render_posters(renderer, glb, spec.size, [variant])
        return [
            (RenderRole.POSTER_PNG, poster.png, PNG_TYPE, spec.size, spec.size, 1, 1),
            (RenderRole.POSTER_WEBP, poster.webp, WEBP_TYPE, spec.size, spec.size, 1, 1),
        ]
    [turntable] = render_turntables(renderer, glb, spec.size, spec.frames, [variant])
    width, height = turntable.columns * spec.size, turntable.rows * spec.size
    return [
        (
            RenderRole.TURNTABLE_SHEET,
            turntable.sheet_png,
            PNG_TYPE,
            width,
            height,
            turntable.columns,
            turntable.rows,
        ),
        (RenderRole.TURNTABLE_WEBP, turntable.webp, WEBP_TYPE, spec.size, spec.size, 1, 1),
    ]


async def render_job_outputs(
    spec: RenderSpec, glb: bytes, blobs: BlobStore, thread: RenderThread, progress: Progress
) -> RenderResult:
    """Render (or find in the cache) every requested variant and store the files."""
    glb_sha256 = hashlib.sha256(glb).hexdigest()
    variants: list[str | None] = list(spec.variants) or [None]
    outputs: list[RenderOutput] = []
    rendered = cached = 0
    for index, variant in enumerate(variants):
        prefix = f"{RENDER_PREFIX}/{render_hash(glb_sha256, spec, variant)}"
        manifest_key = f"{prefix}/{MANIFEST_NAME}"
        share = 80 * index // len(variants)
        if await blobs.exists(manifest_key):
            manifest = json.loads(await blobs.get(manifest_key))
            outputs += [RenderOutput.from_dict(raw) for raw in manifest["outputs"]]
            cached += 1
            continue
        await progress("rendering", 10 + share)
        files = await thread.call(partial(_files, glb=glb, spec=spec, variant=variant))
        await progress("uploading", 10 + share + 70 // len(variants))
        found = []
        for role, data, content_type, width, height, columns, rows in files:
            key = f"{prefix}/{role}"
            await put_retrying(blobs, key, data, content_type)
            frames = spec.frames if role.startswith("turntable") else 1
            found.append(
                RenderOutput(
                    variant=variant,
                    role=role,
                    key=key,
                    content_type=content_type,
                    byte_size=len(data),
                    width=width,
                    height=height,
                    frames=frames,
                    columns=columns,
                    rows=rows,
                )
            )
        manifest = {"outputs": [output.to_dict() for output in found]}
        await put_retrying(blobs, manifest_key, json.dumps(manifest).encode(), "application/json")
        outputs += found
        rendered += 1
    return RenderResult(outputs=tuple(outputs), rendered=rendered, cached=cached)
