"""The OpenGL device: a headless EGL context, whichever driver the machine offers.

``moderngl.create_standalone_context(backend="egl")`` asks libglvnd for an EGL display; on a
GPU host that is the NVIDIA EGL driver, elsewhere Mesa (llvmpipe, software). The code is the
same; the driver actually picked is logged once per context as ``gl_context`` with vendor,
renderer and version, and recorded in ``GLInfo``.
"""

from __future__ import annotations

from dataclasses import dataclass

import moderngl
import structlog

log = structlog.get_logger("vitrine.render")

MIN_GL_VERSION = 330


class RendererUnavailable(RuntimeError):
    """No usable OpenGL context could be created (no EGL, or too old a GL)."""


@dataclass(frozen=True)
class GLInfo:
    """Which OpenGL implementation renders."""

    vendor: str
    renderer: str
    version: str
    max_samples: int
    max_texture_size: int

    @property
    def software(self) -> bool:
        """Whether this is a CPU rasterizer (Mesa llvmpipe/softpipe)."""
        name = self.renderer.lower()
        return "llvmpipe" in name or "softpipe" in name or "swrast" in name

    def describe(self) -> str:
        """One line: ``renderer (vendor, GL version)``."""
        return f"{self.renderer} ({self.vendor}, OpenGL {self.version})"


def create_context(device_index: int = 0) -> tuple[moderngl.Context, GLInfo]:
    """A standalone EGL context and what drives it; ``RendererUnavailable`` if none."""
    try:
        ctx = moderngl.create_standalone_context(  # the stub types every setting as a dict
            require=MIN_GL_VERSION,
            backend="egl",  # type: ignore[arg-type]
            device_index=device_index,  # type: ignore[arg-type]
        )
    except Exception as error:  # glcontext raises plain Exceptions for every EGL failure
        log.error("gl_context_unavailable", backend="egl", reason=str(error))
        raise RendererUnavailable(f"no EGL OpenGL {MIN_GL_VERSION} context: {error}") from error
    info = GLInfo(
        vendor=str(ctx.info["GL_VENDOR"]),
        renderer=str(ctx.info["GL_RENDERER"]),
        version=str(ctx.info["GL_VERSION"]),
        max_samples=int(ctx.max_samples),
        max_texture_size=int(ctx.info["GL_MAX_TEXTURE_SIZE"]),
    )
    log.info(
        "gl_context",
        backend="egl",
        vendor=info.vendor,
        renderer=info.renderer,
        version=info.version,
        software=info.software,
        max_samples=info.max_samples,
    )
    return ctx, info
