"""Offscreen PBR rendering of a loaded model with moderngl: posters and turntable frames.

One ``Renderer`` owns one GL context; GL contexts are bound to the thread that made them,
so create and use a renderer on a single thread (``RenderThread`` does that for async code).
Frames are rendered into a multisampled float target (premultiplied, linear, tone-mapped),
resolved, optionally box-filtered down from a supersampled size, and only then encoded to
8-bit sRGB with straight alpha, so the background stays fully transparent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import moderngl
import numpy as np
import numpy.typing as npt

from render_jobs.render.camera import (
    ELEVATION_DEGREES,
    POSTER_AZIMUTH_DEGREES,
    View,
    fit_distance,
    orbit_view,
)
from render_jobs.render.device import GLInfo, create_context
from render_jobs.render.model import Material, ModelData, Primitive, TextureRef
from render_jobs.render.shaders import FRAGMENT, VERTEX

RGBA8 = npt.NDArray[np.uint8]

MIN_SIZE = 8
MAX_SIZE = 4096
_SRGB8_ALPHA8 = 0x8C43
_ALPHA_MODES = {"OPAQUE": 0, "MASK": 1, "BLEND": 2}
_SLOTS = ("base", "mr", "normal", "occlusion", "emissive")
_IDENTITY = np.eye(3, dtype="f4")
# studio rig in camera space (right, up, back): key upper left, fill right, rim behind
_LIGHTS = (
    ((-0.55, 0.65, 0.55), (3.0, 2.9, 2.75)),
    ((0.85, 0.15, 0.5), (0.8, 0.85, 0.95)),
    ((0.25, 0.55, -1.0), (2.2, 2.2, 2.2)),
)
_SKY = (0.62, 0.64, 0.68)
_GROUND = (0.24, 0.22, 0.2)


class RenderSizeError(ValueError):
    """A frame size outside what the renderer accepts."""


@dataclass
class GpuModel:
    """A model's buffers and textures on one GL context."""

    data: ModelData
    draws: list[tuple[moderngl.VertexArray, Primitive]]
    buffers: list[moderngl.Buffer]
    textures: dict[tuple[int, bool], moderngl.Texture] = field(default_factory=dict)

    def release(self) -> None:
        """Free the GPU objects."""
        for vao, _ in self.draws:
            vao.release()
        for buffer in self.buffers:
            buffer.release()
        for texture in self.textures.values():
            texture.release()
        self.draws, self.buffers, self.textures = [], [], {}


class Renderer:
    """Renders ``ModelData`` to RGBA frames on an EGL context (GPU or Mesa, as available)."""

    def __init__(self, *, samples: int = 4, supersample: int = 1) -> None:
        self.ctx, self.info = create_context()
        self.samples = max(0, min(samples, self.info.max_samples))
        self.supersample = max(1, supersample)
        self.program = self.ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
        self._white = self.ctx.texture((1, 1), 4, bytes([255, 255, 255, 255]))
        self._targets: dict[int, tuple[moderngl.Framebuffer, moderngl.Framebuffer]] = {}
        for unit, slot in enumerate(_SLOTS):
            self._set(f"u_{slot}_tex", unit)

    @property
    def gl(self) -> GLInfo:
        """The OpenGL implementation in use."""
        return self.info

    def close(self) -> None:
        """Release the context and everything on it."""
        self.ctx.release()

    # -- uploads ---------------------------------------------------------------------------

    def upload(self, data: ModelData) -> GpuModel:
        """Put a model's vertex data on the GPU (textures follow lazily, per material)."""
        model = GpuModel(data=data, draws=[], buffers=[])
        for primitive in data.primitives:
            vbo = self.ctx.buffer(primitive.vertices.tobytes())
            ibo = self.ctx.buffer(primitive.indices.tobytes())
            vao = self.ctx.vertex_array(
                self.program,
                [(vbo, "3f 3f 2f", "in_position", "in_normal", "in_uv")],
                index_buffer=ibo,
                index_element_size=4,
                skip_errors=True,
            )
            model.buffers += [vbo, ibo]
            model.draws.append((vao, primitive))
        return model

    def _texture(self, model: GpuModel, ref: TextureRef | None, srgb: bool) -> moderngl.Texture:
        if ref is None:
            return self._white
        key = (ref.image, srgb)
        if key not in model.textures:
            pixels = model.data.images[ref.image]
            if pixels is None:
                return self._white
            height, width = pixels.shape[:2]
            texture = self.ctx.texture(
                (width, height),
                4,
                np.ascontiguousarray(pixels).tobytes(),
                internal_format=_SRGB8_ALPHA8 if srgb else None,
            )
            texture.build_mipmaps()
            texture.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
            texture.anisotropy = 8.0
            texture.repeat_x = texture.repeat_y = ref.repeat
            model.textures[key] = texture
        return model.textures[key]

    # -- frames ----------------------------------------------------------------------------

    def poster(self, model: GpuModel, size: int, variant: str | None = None) -> RGBA8:
        """The 3/4 front view, fitted to the frame."""
        return self.turntable(
            model, size, frames=1, variant=variant, start_degrees=POSTER_AZIMUTH_DEGREES
        )[0]

    def turntable(
        self,
        model: GpuModel,
        size: int,
        frames: int,
        variant: str | None = None,
        start_degrees: float = POSTER_AZIMUTH_DEGREES,
    ) -> list[RGBA8]:
        """``frames`` views evenly spaced around the model, one framing for all of them."""
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise RenderSizeError(f"frame size must be {MIN_SIZE}..{MAX_SIZE} pixels, not {size}")
        if frames < 1:
            raise RenderSizeError("a turntable needs at least one frame")
        variant_index = model.data.variant_index(variant)
        azimuths = [math.radians(start_degrees + 360.0 * i / frames) for i in range(frames)]
        low = np.array(model.data.bounds_min, dtype=np.float64)
        high = np.array(model.data.bounds_max, dtype=np.float64)
        elevation = math.radians(ELEVATION_DEGREES)
        distance = fit_distance(low, high, azimuths, elevation)
        return [
            self._frame(
                model, size, orbit_view(low, high, azimuth, elevation, distance), variant_index
            )
            for azimuth in azimuths
        ]

    def _target(self, pixels: int) -> tuple[moderngl.Framebuffer, moderngl.Framebuffer]:
        if pixels not in self._targets:
            size = (pixels, pixels)
            draw = self.ctx.framebuffer(
                color_attachments=[
                    self.ctx.renderbuffer(size, 4, samples=self.samples, dtype="f2")
                ],
                depth_attachment=self.ctx.depth_renderbuffer(size, samples=self.samples),
            )
            resolve = self.ctx.framebuffer(
                color_attachments=[self.ctx.renderbuffer(size, 4, dtype="f2")]
            )
            self._targets[pixels] = (draw, resolve)
        return self._targets[pixels]

    def _frame(self, model: GpuModel, size: int, view: View, variant: int | None) -> RGBA8:
        pixels = size * self.supersample
        draw, resolve = self._target(pixels)
        draw.use()
        draw.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        self.ctx.enable(moderngl.DEPTH_TEST | moderngl.BLEND)
        self.ctx.blend_func = (moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA)
        self._write("u_view_projection", view.view_projection.T)
        self._set("u_eye", tuple(float(x) for x in view.eye))
        basis = np.stack([view.right, view.up, view.back])
        directions = [np.array(d) @ basis for d, _ in _LIGHTS]
        self._write("u_light_dir", np.array([d / np.linalg.norm(d) for d in directions]))
        self._write("u_light_color", np.array([c for _, c in _LIGHTS]))
        self._set("u_sky", _SKY)
        self._set("u_ground", _GROUND)
        self._set("u_exposure", 1.0)
        opaque: list[tuple[moderngl.VertexArray, Primitive, Material]] = []
        blended: list[tuple[moderngl.VertexArray, Primitive, Material]] = []
        for vao, primitive in model.draws:
            material = model.data.material(primitive.material_for(variant))
            (blended if material.alpha_mode == "BLEND" else opaque).append(
                (vao, primitive, material)
            )
        # back to front for the translucent ones
        blended.sort(
            key=lambda entry: (
                -float(np.linalg.norm(entry[1].vertices[:, :3].mean(axis=0) - view.eye))
            )
        )
        draw.depth_mask = True
        for vao, _, material in opaque:
            self._draw(model, vao, material)
        draw.depth_mask = False
        for vao, _, material in blended:
            self._draw(model, vao, material)
        draw.depth_mask = True
        self.ctx.copy_framebuffer(resolve, draw)
        raw = np.frombuffer(resolve.read(components=4, dtype="f2"), dtype=np.float16)
        linear = raw.reshape(pixels, pixels, 4)[::-1].astype(np.float32)
        if self.supersample > 1:
            k = self.supersample
            linear = linear.reshape(size, k, size, k, 4).mean(axis=(1, 3))
        return to_srgb8(linear)

    def _draw(self, model: GpuModel, vao: moderngl.VertexArray, material: Material) -> None:
        if material.double_sided:
            self.ctx.disable(moderngl.CULL_FACE)
        else:
            self.ctx.enable(moderngl.CULL_FACE)
        self._set("u_base_color", material.base_color)
        self._set("u_metallic", material.metallic)
        self._set("u_roughness", material.roughness)
        self._set("u_emissive", material.emissive)
        self._set("u_normal_scale", material.normal_scale)
        self._set("u_occlusion_strength", material.occlusion_strength)
        self._set("u_alpha_mode", _ALPHA_MODES[material.alpha_mode])
        self._set("u_alpha_cutoff", material.alpha_cutoff)
        self._set("u_sheen_color", material.sheen_color)
        self._set("u_sheen_roughness", material.sheen_roughness)
        self._set("u_has_normal_map", int(material.normal_texture is not None))
        slots = (
            (material.base_color_texture, True),
            (material.metallic_roughness_texture, False),
            (material.normal_texture, False),
            (material.occlusion_texture, False),
            (material.emissive_texture, True),
        )
        for unit, ((ref, srgb), slot) in enumerate(zip(slots, _SLOTS, strict=True)):
            self._texture(model, ref, srgb).use(unit)
            transform = np.array(ref.uv_transform).reshape(3, 3) if ref else _IDENTITY
            self._write(f"u_{slot}_uv", transform.T)
        vao.render(moderngl.TRIANGLES)

    def _set(self, name: str, value: Any) -> None:
        uniform = self.program.get(name, None)
        if isinstance(uniform, moderngl.Uniform):
            uniform.value = value

    def _write(self, name: str, array: npt.NDArray[Any]) -> None:
        uniform = self.program.get(name, None)
        if isinstance(uniform, moderngl.Uniform):
            uniform.write(np.ascontiguousarray(array, dtype="f4").tobytes())


def to_srgb8(premultiplied: npt.NDArray[np.float32]) -> RGBA8:
    """Premultiplied linear RGBA floats to straight-alpha 8-bit sRGB."""
    alpha = np.clip(premultiplied[..., 3:4], 0.0, 1.0)
    rgb = np.divide(
        premultiplied[..., :3], alpha, out=np.zeros_like(premultiplied[..., :3]), where=alpha > 1e-6
    )
    rgb = np.clip(rgb, 0.0, 1.0)
    srgb = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * np.power(rgb, 1 / 2.4) - 0.055)
    out = np.concatenate([srgb, alpha], axis=-1)
    return np.round(out * 255.0).astype(np.uint8)
