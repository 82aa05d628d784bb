// The merchant page (#/merchant, merchant admins): pick a product and a 3D file. The file goes
// straight to S3 with createAssetUpload's presigned POST (never through the gateway),
// finalizeAssetUpload queues its ingest job, and a progress bar follows the job live (stage
// and percent, jobs.js). Once the model is in, the page asks for a poster render of the new
// asset, follows that job too and shows the poster; a rejected file shows which check failed,
// where and why. A shopper who opens the page is told it is for merchant admins only.

import { ApiError, execute } from "./api.js";
import { followJob } from "./jobs.js";
import { auth, credentials } from "./session.js";
import { h, problem } from "./ui.js";

const POSTER_SIZE = 512;
const CONTENT_TYPES = {
  glb: "model/gltf-binary",
  stl: "model/stl",
  usdz: "model/vnd.usdz+zip",
  zip: "application/zip",
};
const PHASES = {
  INGEST: "Step 1 of 2: checking and processing the model",
  RENDER: "Step 2 of 2: rendering its poster",
};

/** The job panel: a progress bar, the steps seen so far and, at the end, poster or reason. */
function jobPanel() {
  const bar = h("progress", { id: "job-progress", max: 100, value: 0, "aria-labelledby": "job-phase" });
  const phase = h("p", { id: "job-phase" });
  const stage = h("p", { id: "job-stage" });
  const log = h("ol", { id: "job-log" });
  const result = h("div", { id: "job-result" });
  const panel = h("section", { id: "job", hidden: true }, h("h2", {}), phase, bar, stage, log, result);
  return {
    panel,
    start(title) {
      panel.hidden = false;
      panel.querySelector("h2").textContent = title;
      for (const el of [phase, stage, log, result]) el.replaceChildren();
      Object.assign(panel.dataset, { phase: "UPLOAD", status: "", jobId: "" });
      phase.textContent = "Sending the file to storage…";
      bar.removeAttribute("value"); // indeterminate while the file is sent
    },
    /** Show job `job` of phase `name` (INGEST, RENDER) as queued; its first step. */
    follow(name, job) {
      Object.assign(panel.dataset, { phase: name, jobId: job.id });
      phase.textContent = PHASES[name];
      const first = { status: job.status, stage: job.status.toLowerCase(), percent: job.progress ?? 0 };
      this.step(first);
      return first;
    },
    step({ status, stage: word, percent }) {
      Object.assign(panel.dataset, { status, stage: word, percent: String(percent) });
      bar.value = percent;
      stage.textContent = `${status} · ${word} · ${percent}%`;
      log.append(
        h("li", { dataset: { phase: panel.dataset.phase, status, stage: word, percent: String(percent) } }, `${PHASES[panel.dataset.phase].split(":")[0]}: ${word} ${percent}%`),
      );
    },
    refused(code, message) {
      panel.dataset.status = "REFUSED";
      bar.value = 0;
      result.replaceChildren(problem(code, message));
    },
    show(element) {
      result.replaceChildren(element);
    },
    rejected(error) {
      result.replaceChildren(
        problem(error.check, `The file was rejected by the “${error.check}” check at ${error.where}: ${error.reason}`),
      );
    },
    poster(output, productName) {
      result.replaceChildren(
        h("figure", {},
          h("img", { id: "poster", src: output.url, alt: `Poster of the new model of ${productName}`, width: output.width, height: output.height }),
          h("figcaption", { class: "ok" }, `Done: the new model is on ${productName}.`),
        ),
      );
    },
  };
}

/** POST the file to S3: every field of the presigned POST in order, the file last. */
async function sendToStorage(upload, file) {
  const form = new FormData();
  for (const field of upload.fields) form.append(field.name, field.value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(upload.url, { method: "POST", body: form });
  } catch {
    throw new ApiError("NETWORK", "The file could not be sent to storage. Check your connection and retry.");
  }
  if (response.ok) return;
  // S3 explains itself in XML: <Error><Code>EntityTooLarge</Code><Message>…</Message></Error>
  const xml = new DOMParser().parseFromString(await response.text(), "application/xml");
  const code = xml.querySelector("Code")?.textContent || "UPLOAD_REFUSED";
  const message = xml.querySelector("Message")?.textContent || `answered ${response.status}`;
  throw new ApiError("GRAPHQL", `Storage refused the file: ${message}`, { code });
}

/** Upload `file` for `product`, follow its ingest job, then its poster render. */
async function upload(product, file, panel) {
  const contentType = CONTENT_TYPES[file.name.split(".").pop().toLowerCase()];
  panel.start(`${file.name} for ${product.name}`);
  if (!contentType) {
    panel.refused("UNSUPPORTED_TYPE", `${file.name}: upload a .glb, .stl, .usdz, or a glTF or OBJ as a .zip.`);
    return;
  }
  const input = { productId: product.id, fileName: file.name, contentType, byteSize: file.size };
  const created = (await execute("AdminUploadAsset", { input }, credentials())).createAssetUpload;
  if (created.__typename !== "CreateAssetUploadSuccess") return panel.refused(created.code, created.message);
  await sendToStorage(created.upload, file);
  const finalized = (await execute("AdminFinalizeAssetUpload", { uploadId: created.upload.uploadId }, credentials()))
    .finalizeAssetUpload;
  if (finalized.__typename !== "FinalizeAssetUploadSuccess") return panel.refused(finalized.code, finalized.message);

  const ingestJob = finalized.job;
  const ingested = await followJob(ingestJob.id, panel.follow("INGEST", ingestJob), panel.step);
  if (ingested.status === "FAILED") return panel.rejected(ingested.error);

  const render = { assetId: ingested.assetId, kind: "POSTER", size: POSTER_SIZE };
  const requested = (await execute("AdminRequestRender", { input: render }, credentials())).requestRender;
  if (requested.__typename !== "RequestRenderSuccess") return panel.refused(requested.code, requested.message);
  const renderJob = requested.job;
  const rendered = await followJob(renderJob.id, panel.follow("RENDER", renderJob), panel.step);
  if (rendered.status === "FAILED") return panel.rejected(rendered.error);
  const outputs = rendered.renderOutputs;
  panel.poster(outputs.find((o) => o.role === "poster.webp") || outputs.find((o) => o.role === "poster.png"), product.name);
}

/** The merchant page; `failure` turns an ApiError into what the merchant sees. */
export async function renderMerchant(failure) {
  const signIn = h("a", { href: "#/signin?next=merchant", class: "button" }, "Sign in as a merchant admin");
  if (!auth.get()) return problem("SIGN_IN", "This page is for merchant admins: sign in first.", signIn);
  let data;
  try {
    data = await execute("MerchantUploadPage", {}, credentials());
  } catch (error) {
    if (error.details?.code !== "FORBIDDEN") throw error;
    return problem(
      "FORBIDDEN",
      `Merchant admins only: ${auth.get().username} is not a merchant admin (the API answered “${error.message}”).`,
      signIn,
    );
  }
  const products = new Map(data.products.nodes.map((p) => [p.slug, p]));
  const panel = jobPanel();
  const button = h("button", { type: "submit", id: "upload-button" }, "Upload");
  const form = h(
    "form",
    {
      id: "upload",
      onsubmit: (event) => {
        event.preventDefault();
        const values = new FormData(form);
        button.disabled = true;
        upload(products.get(values.get("product")), values.get("file"), panel)
          .catch((error) => panel.show(failure(error)))
          .finally(() => (button.disabled = false));
      },
    },
    h("label", {}, "Product ", h("select", { name: "product", required: true }, [...products.values()].map((p) => h("option", { value: p.slug }, p.name)))),
    h("label", {}, "3D file ", h("input", { name: "file", type: "file", required: true, accept: Object.keys(CONTENT_TYPES).map((e) => `.${e}`).join(",") })),
    button,
  );
  return h(
    "section",
    { class: "merchant" },
    h("h1", {}, "Upload a 3D model"),
    h("p", { id: "orders-waiting", class: "count" }, `${data.orders.totalCount} paid orders waiting to be shipped.`),
    form,
    panel.panel,
  );
}
