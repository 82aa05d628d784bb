"""Offscreen OpenGL rendering (moderngl over EGL): PBR posters and turntables of GLB masters."""

from render_jobs.render.device import GLInfo, RendererUnavailable, create_context
from render_jobs.render.model import ModelData, UnknownVariant, load_model
from render_jobs.render.products import Poster, Turntable, render_posters, render_turntables
from render_jobs.render.renderer import Renderer, RenderSizeError
from render_jobs.render.thread import RenderThread

__all__ = [
    "GLInfo",
    "ModelData",
    "Poster",
    "RenderSizeError",
    "RenderThread",
    "Renderer",
    "RendererUnavailable",
    "Turntable",
    "UnknownVariant",
    "create_context",
    "load_model",
    "render_posters",
    "render_turntables",
]
