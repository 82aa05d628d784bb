// The 3D viewer: <model-viewer> with the poster first, then the level of detail that suits
// the device, AR with the USDZ for iOS Quick Look, and glTF material variants
// (KHR_materials_variants) switched from the chosen SKU.

/** "high", "medium" or "low": how much geometry this device should be sent. */
export function deviceTier(nav = navigator, small = matchMedia("(max-width: 700px)").matches) {
  const memory = nav.deviceMemory ?? 8; // GiB, rounded; absent outside Chromium
  const cores = nav.hardwareConcurrency ?? 8;
  if (memory <= 2 || cores <= 2) return "low";
  if (small || memory <= 4 || cores <= 4) return "medium";
  return "high";
}

const TIER_LOD = { high: 0, medium: 1, low: 2 };

/** The GLB source for `tier`: the wanted LOD, or the lightest one there is below it. */
export function chooseLod(sources, tier) {
  const glbs = sources.filter((s) => s.format === "GLB").sort((a, b) => a.lod - b.lod);
  if (!glbs.length) return null;
  const wanted = TIER_LOD[tier] ?? 0;
  return glbs.filter((s) => s.lod <= wanted).pop() || glbs[0];
}

/** The material variant mapped to the SKU's option value, if the model has one. */
export function variantFor(asset, variant) {
  if (!asset || !variant) return null;
  const mapping = asset.materialVariants.find((m) =>
    variant.options.some((o) => o.name === m.optionName && o.value === m.optionValue),
  );
  return mapping ? mapping.variantName : null;
}

/** A <model-viewer> for `asset`: poster now, the model once it is on screen. */
export function createViewer(asset, alt) {
  const viewer = document.createElement("model-viewer");
  const tier = deviceTier();
  const source = chooseLod(asset.sources, tier);
  const usdz = asset.sources.find((s) => s.format === "USDZ");
  viewer.id = "viewer";
  viewer.setAttribute("alt", alt);
  viewer.setAttribute("camera-controls", "");
  viewer.setAttribute("touch-action", "pan-y");
  viewer.setAttribute("shadow-intensity", "1");
  viewer.setAttribute("ar", "");
  viewer.setAttribute("ar-modes", "webxr scene-viewer quick-look");
  viewer.setAttribute("interaction-prompt", "none");
  viewer.dataset.tier = tier;
  viewer.dataset.state = "poster";
  if (asset.posterUrl) viewer.setAttribute("poster", asset.posterUrl);
  if (usdz) viewer.setAttribute("ios-src", usdz.url);
  if (source) {
    viewer.dataset.lod = String(source.lod);
    viewer.setAttribute("src", source.url);
  }
  viewer.addEventListener("load", () => {
    viewer.dataset.state = "loaded";
    viewer.dataset.variants = (viewer.availableVariants || []).join(",");
  });
  viewer.addEventListener("error", (event) => {
    viewer.dataset.state = "error";
    viewer.dataset.error = event.detail?.type || "error";
  });
  return viewer;
}

/** Show `variantName` on the model (once it is loaded); records what took effect. */
export function showVariant(viewer, variantName) {
  const apply = () => {
    viewer.variantName = variantName;
    viewer.dataset.variantName = viewer.variantName ?? "";
  };
  if (viewer.loaded) apply();
  else viewer.addEventListener("load", apply, { once: true });
}

/** Whether this browser can render WebGL at all (else the poster stays). */
export function webglAvailable() {
  const canvas = document.createElement("canvas");
  return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
}
