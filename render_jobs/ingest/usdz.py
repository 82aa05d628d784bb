"""USDZ for iOS AR Quick Look, converted from the GLB master with usd-core.

Meshes keep their world transforms, materials become ``UsdPreviewSurface`` networks (base
colour, metallic/roughness, normal, occlusion and emissive factors and textures, with
``KHR_texture_transform`` as ``UsdTransform2d``), and ``KHR_materials_variants`` become a
``materialVariant`` variant set on the root prim. The package is written by
``UsdUtils.CreateNewARKitUsdzPackage`` and checked with every ``UsdValidation`` validator.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pxr import (  # type: ignore[import-untyped]  # usd-core ships no type information
    Gf,
    Kind,
    Sdf,
    Usd,
    UsdGeom,
    UsdShade,
    UsdUtils,
    UsdValidation,
    Vt,
)

from render_jobs.glb import read_glb
from render_jobs.gltf_data import (
    MODE_TRIANGLES,
    ScenePrimitive,
    primitive_positions,
    primitive_triangles,
    read_accessor,
    scene_primitives,
)
from render_jobs.gltf_variants import material_for_variant, variant_names

VARIANT_SET = "materialVariant"
_TRANSFORM = "KHR_texture_transform"


@dataclass
class UsdzResult:
    """The package bytes, the validation report and conversion notes."""

    data: bytes
    validation: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """No validator reported an error."""
        return not self.validation["errors"]


def glb_to_usdz(glb: bytes, workdir: Path) -> UsdzResult:
    """Convert a GLB (plain, uncompressed) to a validated USDZ under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    gltf, binary = read_glb(glb)
    layer = workdir / "model.usdc"
    stage = Usd.Stage.CreateNew(str(layer))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdGeom.Xform.Define(stage, "/Root")
    stage.SetDefaultPrim(root.GetPrim())
    Usd.ModelAPI(root.GetPrim()).SetKind(Kind.Tokens.component)
    converter = _Converter(stage, gltf, binary, workdir)
    meshes = converter.meshes()
    converter.variants(root.GetPrim(), meshes)
    stage.GetRootLayer().Save()
    package = workdir / "model.usdz"
    if not UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(layer)), str(package)):
        raise RuntimeError("UsdUtils.CreateNewARKitUsdzPackage failed")
    return UsdzResult(package.read_bytes(), validate_usdz(package), converter.notes)


def validate_usdz(package: Path) -> dict[str, Any]:
    """Run every registered ``UsdValidation`` validator (core, geometry, shading, USDZ
    package rules) on the package; errors and warnings are listed by validator."""
    stage = Usd.Stage.Open(str(package))
    registry = UsdValidation.ValidationRegistry()
    validators = registry.GetOrLoadAllValidators()
    found = UsdValidation.ValidationContext(validators).Validate(stage)
    errors: list[str] = []
    warnings: list[str] = []
    for error in found:
        if error.HasNoError():
            continue
        text = f"{error.GetName()}: {error.GetMessage()}"
        if error.GetType() == UsdValidation.ValidationErrorType.Error:
            errors.append(text)
        else:
            warnings.append(text)
    return {
        "usd_version": ".".join(str(v) for v in Usd.GetVersion()),
        "validators": sorted(v.GetMetadata().name for v in validators),
        "errors": errors,
        "warnings": warnings,
    }


def _identifier(name: str, fallback: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not cleaned or not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = f"{fallback}_{cleaned}" if cleaned else fallback
    return cleaned


class _Converter:
    def __init__(self, stage: Usd.Stage, gltf: dict[str, Any], binary: bytes, workdir: Path):
        self.stage = stage
        self.gltf = gltf
        self.binary = binary
        self.workdir = workdir
        self.notes: list[str] = []
        self.materials: dict[int, UsdShade.Material] = {}
        self.textures: dict[int, str] = {}

    # ---------------------------------------------------------------- geometry
    def meshes(self) -> list[tuple[ScenePrimitive, UsdGeom.Mesh]]:
        made: list[tuple[ScenePrimitive, UsdGeom.Mesh]] = []
        UsdGeom.Scope.Define(self.stage, "/Root/Geom")
        for number, entry in enumerate(scene_primitives(self.gltf)):
            if entry.primitive.get("mode", MODE_TRIANGLES) not in (4, 5, 6):
                continue
            mesh = self._mesh(f"/Root/Geom/prim{number}", entry)
            if mesh is not None:
                made.append((entry, mesh))
                material = entry.primitive.get("material")
                if isinstance(material, int):
                    self._bind(mesh, material)
        return made

    def _mesh(self, path: str, entry: ScenePrimitive) -> UsdGeom.Mesh | None:
        points = primitive_positions(self.gltf, self.binary, entry.primitive)
        triangles = primitive_triangles(self.gltf, self.binary, entry.primitive, len(points))
        if not len(triangles):
            return None
        mesh = UsdGeom.Mesh.Define(self.stage, path)
        mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
        mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points.astype(np.float32)))
        mesh.CreateFaceVertexCountsAttr(Vt.IntArray([3] * len(triangles)))
        mesh.CreateFaceVertexIndicesAttr(
            Vt.IntArray.FromNumpy(triangles.reshape(-1).astype(np.int32))
        )
        low, high = points.min(axis=0), points.max(axis=0)
        mesh.CreateExtentAttr(
            Vt.Vec3fArray([Gf.Vec3f(*map(float, low)), Gf.Vec3f(*map(float, high))])
        )
        attributes = entry.primitive.get("attributes", {})
        if "NORMAL" in attributes:
            normals = read_accessor(self.gltf, self.binary, attributes["NORMAL"])
            if normals.shape == points.shape and np.isfinite(normals).all():
                mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(normals.astype(np.float32)))
                mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
        primvars = UsdGeom.PrimvarsAPI(mesh)
        for channel in (0, 1):
            key = f"TEXCOORD_{channel}"
            if key in attributes:
                uv = read_accessor(self.gltf, self.binary, attributes[key]).astype(np.float32)
                if len(uv) == len(points) and uv.shape[1] == 2:
                    st = np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1)
                    primvar = primvars.CreatePrimvar(
                        _st_name(channel), Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex
                    )
                    primvar.Set(Vt.Vec2fArray.FromNumpy(st))
        mesh.AddTransformOp().Set(Gf.Matrix4d(entry.world.T.tolist()))
        material_index = entry.primitive.get("material")
        if isinstance(material_index, int):
            material = self.gltf.get("materials", [])[material_index]
            mesh.CreateDoubleSidedAttr(bool(material.get("doubleSided", False)))
        return mesh

    # ---------------------------------------------------------------- materials
    def _bind(self, mesh: UsdGeom.Mesh, index: int) -> None:
        UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(self._material(index))

    def _material(self, index: int) -> UsdShade.Material:
        if index in self.materials:
            return self.materials[index]
        UsdGeom.Scope.Define(self.stage, "/Root/Materials")
        spec = self.gltf.get("materials", [])[index]
        name = _identifier(str(spec.get("name", "")), "material")
        path = f"/Root/Materials/m{index}_{name}"
        material = UsdShade.Material.Define(self.stage, path)
        surface = UsdShade.Shader.Define(self.stage, f"{path}/PreviewSurface")
        surface.CreateIdAttr("UsdPreviewSurface")
        material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
        pbr = spec.get("pbrMetallicRoughness", {})
        base = [float(v) for v in pbr.get("baseColorFactor", [1, 1, 1, 1])]
        metallic = float(pbr.get("metallicFactor", 1.0))
        roughness = float(pbr.get("roughnessFactor", 1.0))
        emissive = [float(v) for v in spec.get("emissiveFactor", [0, 0, 0])]
        alpha_mode = spec.get("alphaMode", "OPAQUE")
        f, c3 = Sdf.ValueTypeNames.Float, Sdf.ValueTypeNames.Color3f
        surface.CreateInput("diffuseColor", c3).Set(Gf.Vec3f(*base[:3]))
        surface.CreateInput("metallic", f).Set(metallic)
        surface.CreateInput("roughness", f).Set(roughness)
        surface.CreateInput("emissiveColor", c3).Set(Gf.Vec3f(*emissive))
        if alpha_mode == "BLEND":
            surface.CreateInput("opacity", f).Set(base[3])
        elif alpha_mode == "MASK":
            surface.CreateInput("opacity", f).Set(base[3])
            surface.CreateInput("opacityThreshold", f).Set(float(spec.get("alphaCutoff", 0.5)))
        textures: list[tuple[str, object, str, list[float], list[tuple[str, str, Any]]]] = [
            ("baseColor", pbr.get("baseColorTexture"), "sRGB", base, [("rgb", "diffuseColor", c3)]),
            (
                "metallicRoughness",
                pbr.get("metallicRoughnessTexture"),
                "raw",
                [1.0, roughness, metallic, 1.0],
                [("g", "roughness", f), ("b", "metallic", f)],
            ),
            (
                "occlusion",
                spec.get("occlusionTexture"),
                "raw",
                [1, 1, 1, 1],
                [("r", "occlusion", f)],
            ),
            (
                "emissive",
                spec.get("emissiveTexture"),
                "sRGB",
                [*emissive, 1.0],
                [("rgb", "emissiveColor", c3)],
            ),
        ]
        if alpha_mode in {"BLEND", "MASK"}:
            textures[0][4].append(("a", "opacity", f))
        for role, info, space, scale, outputs in textures:
            if isinstance(info, dict):
                self._texture(path, surface, role, info, space, scale, [0.0] * 4, outputs)
        normal = spec.get("normalTexture")
        if isinstance(normal, dict):
            # UsdPreviewSurface wants exactly scale (2, 2, 2, 1) and bias (-1, -1, -1, 0) on
            # 8-bit normal maps, so glTF's normal strength cannot be carried over.
            if float(normal.get("scale", 1.0)) != 1.0:
                self.notes.append(f"material {index}: normal map strength set to 1")
            self._texture(
                path,
                surface,
                "normal",
                normal,
                "raw",
                [2.0, 2.0, 2.0, 1.0],
                [-1.0, -1.0, -1.0, 0.0],
                [("rgb", "normal", Sdf.ValueTypeNames.Normal3f)],
            )
        self.materials[index] = material
        return material

    def _texture(
        self,
        path: str,
        surface: UsdShade.Shader,
        role: str,
        info: dict[str, Any],
        space: str,
        scale: list[float],
        bias: list[float],
        outputs: list[tuple[str, str, Any]],
    ) -> None:
        texture_index = info.get("index")
        if not isinstance(texture_index, int):
            return
        file_name = self._image_file(texture_index)
        if file_name is None:
            return
        transform = info.get("extensions", {}).get(_TRANSFORM, {})
        channel = int(transform.get("texCoord", info.get("texCoord", 0)))
        reader = UsdShade.Shader.Define(self.stage, f"{path}/{role}Uv")
        reader.CreateIdAttr("UsdPrimvarReader_float2")
        reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set(_st_name(channel))
        coordinates = reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
        if transform:
            coordinates = self._transform2d(path, role, transform, coordinates)
        texture = UsdShade.Shader.Define(self.stage, f"{path}/{role}Texture")
        texture.CreateIdAttr("UsdUVTexture")
        texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(file_name)
        texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(coordinates)
        texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set(space)
        sampler = self._sampler(texture_index)
        texture.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set(sampler[0])
        texture.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set(sampler[1])
        texture.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*scale))
        if any(bias):
            texture.CreateInput("bias", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*bias))
        for output_name, input_name, value_type in outputs:
            kind = Sdf.ValueTypeNames.Float3 if output_name == "rgb" else Sdf.ValueTypeNames.Float
            output = texture.CreateOutput(output_name, kind)
            surface.CreateInput(input_name, value_type).ConnectToSource(output)

    def _transform2d(
        self, path: str, role: str, transform: dict[str, Any], source: UsdShade.Output
    ) -> UsdShade.Output:
        # glTF applies T*R*S to (u, v) with v down; USD's st has t = 1 - v. Worked through,
        # that is USD's own scale -> rotate (counter-clockwise) -> translate with these values.
        sx, sy = (float(v) for v in transform.get("scale", [1.0, 1.0]))
        ox, oy = (float(v) for v in transform.get("offset", [0.0, 0.0]))
        rotation = float(transform.get("rotation", 0.0))
        node = UsdShade.Shader.Define(self.stage, f"{path}/{role}Transform")
        node.CreateIdAttr("UsdTransform2d")
        node.CreateInput("in", Sdf.ValueTypeNames.Float2).ConnectToSource(source)
        node.CreateInput("scale", Sdf.ValueTypeNames.Float2).Set(Gf.Vec2f(sx, sy))
        node.CreateInput("rotation", Sdf.ValueTypeNames.Float).Set(math.degrees(rotation))
        translation = Gf.Vec2f(ox + math.sin(rotation) * sy, 1.0 - oy - math.cos(rotation) * sy)
        node.CreateInput("translation", Sdf.ValueTypeNames.Float2).Set(translation)
        output: UsdShade.Output = node.CreateOutput("result", Sdf.ValueTypeNames.Float2)
        return output

    def _sampler(self, texture_index: int) -> tuple[str, str]:
        texture = self.gltf["textures"][texture_index]
        sampler_index = texture.get("sampler")
        sampler = (
            self.gltf.get("samplers", [])[sampler_index] if isinstance(sampler_index, int) else {}
        )
        names = {33071: "clamp", 33648: "mirror", 10497: "repeat"}
        return (
            names.get(sampler.get("wrapS", 10497), "repeat"),
            names.get(sampler.get("wrapT", 10497), "repeat"),
        )

    def _image_file(self, texture_index: int) -> str | None:
        texture = self.gltf.get("textures", [])[texture_index]
        source = texture.get("source")
        if not isinstance(source, int):
            source = texture.get("extensions", {}).get("EXT_texture_webp", {}).get("source")
        if not isinstance(source, int):
            return None
        if source in self.textures:
            return self.textures[source]
        image = self.gltf["images"][source]
        view = self.gltf["bufferViews"][image["bufferView"]]
        start = view.get("byteOffset", 0)
        data = self.binary[start : start + view["byteLength"]]
        mime = image.get("mimeType")
        if mime == "image/jpeg":
            name = f"./textures/image{source}.jpg"
        else:
            name = f"./textures/image{source}.png"
            if mime != "image/png":  # AR Quick Look reads PNG and JPEG only
                with Image.open(io.BytesIO(data)) as opened:
                    buffer = io.BytesIO()
                    opened.save(buffer, format="PNG")
                    data = buffer.getvalue()
                self.notes.append(f"image {source} ({mime}) converted to PNG for USDZ")
        target = self.workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.textures[source] = name
        return name

    # ---------------------------------------------------------------- variants
    def variants(self, root: Usd.Prim, meshes: list[tuple[ScenePrimitive, UsdGeom.Mesh]]) -> None:
        names = variant_names(self.gltf)
        if not names:
            return
        variant_set = root.GetVariantSets().AddVariantSet(VARIANT_SET)
        display: dict[str, str] = {}
        for index, name in enumerate(names):
            identifier = _identifier(name, f"variant{index}")
            display[identifier] = name
            variant_set.AddVariant(identifier)
            variant_set.SetVariantSelection(identifier)
            with variant_set.GetVariantEditContext():
                for entry, mesh in meshes:
                    material = material_for_variant(entry.primitive, index)
                    if isinstance(material, int) and material != entry.primitive.get("material"):
                        self._bind(mesh, material)
        variant_set.ClearVariantSelection()
        root.SetCustomDataByKey("vitrine:variantNames", display)


def _st_name(channel: int) -> str:
    return "st" if channel == 0 else f"st{channel}"
