"""Upload: a merchant admin signs in through Cognito, uploads a 3D model for a product to the
presigned S3 POST, finalizes the upload and follows the render (ingest) job to its end.

    python -m client_examples.python.upload --endpoint http://127.0.0.1:8000/graphql \\
        --product harbor-sofa --file chair.glb

A render worker (``vitrine worker``, with the gateway's settings) must be consuming the queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from client_examples.python.buy import cognito_sign_in, storefront_cognito
from client_examples.python.client import Vitrine, arguments

CONTENT_TYPES = {
    ".glb": "model/gltf-binary",
    ".zip": "application/zip",
    ".stl": "model/stl",
    ".usdz": "model/vnd.usdz+zip",
}
DONE = frozenset({"SUCCEEDED", "FAILED"})


class UploadFailed(Exception):
    """A step of the upload answered with an error: ``step: CODE: message``."""


def content_type(path: Path) -> str:
    """The content type the API accepts for the file's extension."""
    try:
        return CONTENT_TYPES[path.suffix.lower()]
    except KeyError:
        raise UploadFailed(
            f"{path.name}: unsupported file type (use {', '.join(sorted(CONTENT_TYPES))})"
        ) from None


def upload_file(client: Vitrine, product_slug: str, path: Path) -> dict[str, Any]:
    """createAssetUpload, POST the file to S3, finalizeAssetUpload: the queued job."""
    product = client.execute("ProductPage", {"slug": product_slug})["product"]
    if product is None:
        raise UploadFailed(f"no product {product_slug!r}")
    body = path.read_bytes()
    kind = content_type(path)
    created = client.execute(
        "AdminUploadAsset",
        {
            "input": {
                "productId": product["id"],
                "fileName": path.name,
                "contentType": kind,
                "byteSize": len(body),
            }
        },
    )["createAssetUpload"]
    if created["__typename"] != "CreateAssetUploadSuccess":
        raise UploadFailed(f"createAssetUpload: {created['code']}: {created['message']}")
    upload = created["upload"]
    # The presigned POST: every field in the given order, the file last.
    fields = [(f["name"], f["value"]) for f in upload["fields"]]
    posted = httpx.post(
        upload["url"], data=dict(fields), files={"file": (path.name, body, kind)}, timeout=120
    )
    if posted.status_code not in {200, 201, 204}:
        raise UploadFailed(f"S3 POST: {posted.status_code}: {posted.text[:200]}")
    finalized = client.execute("AdminFinalizeAssetUpload", {"uploadId": upload["uploadId"]})[
        "finalizeAssetUpload"
    ]
    if finalized["__typename"] != "FinalizeAssetUploadSuccess":
        raise UploadFailed(f"finalizeAssetUpload: {finalized['code']}: {finalized['message']}")
    job: dict[str, Any] = finalized["job"]
    return job


def follow_job(
    client: Vitrine,
    job_id: str,
    on_change: Callable[[dict[str, Any]], None],
    *,
    interval: float = 0.5,
    timeout: float = 300,
) -> dict[str, Any]:
    """Poll renderJob until SUCCEEDED or FAILED, calling ``on_change`` when it moves."""
    deadline = time.monotonic() + timeout
    seen: tuple[str, int, int] | None = None
    while True:
        job: dict[str, Any] | None = client.execute("AdminRenderJob", {"id": job_id})["renderJob"]
        if job is None:
            raise UploadFailed(f"renderJob: no job {job_id}")
        state = (job["status"], job["progress"], job["attempts"])
        if state != seen:
            seen = state
            on_change(job)
        if job["status"] in DONE:
            return job
        if time.monotonic() > deadline:
            raise UploadFailed(f"renderJob: still {job['status']} after {timeout:.0f} s")
        time.sleep(interval)


def _progress(job: dict[str, Any]) -> None:
    print(f"  {job['status']:<9} {job['progress']:>3}%  (attempt {job['attempts']})", flush=True)


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--product", required=True, help="the product's slug")
    parser.add_argument("--file", required=True, type=Path, help="a .glb, .stl, .usdz or .zip")
    parser.add_argument("--email", default="admin@vitrine.local")
    parser.add_argument("--password", default="Vitrine-Admin-1")
    parser.add_argument("--cognito-endpoint", help="default: from /storefront/config.json")
    parser.add_argument("--client-id", help="the user pool app client id")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the job")
    args = parser.parse_args()
    with Vitrine(endpoint=args.endpoint, api_key=args.api_key) as client:
        pool = (
            {"endpoint": args.cognito_endpoint, "clientId": args.client_id}
            if args.cognito_endpoint and args.client_id
            else storefront_cognito(client)
        )
        client.access_token = cognito_sign_in(
            pool["endpoint"], pool["clientId"], args.email, args.password
        )
        try:
            job = upload_file(client, args.product, args.file)
            print(f"Uploaded {args.file.name}: job {job['id']} {job['status']}", flush=True)
            done = follow_job(client, job["id"], _progress, timeout=args.timeout)
        except UploadFailed as error:
            raise SystemExit(str(error)) from None
    if done["status"] == "FAILED":
        why = done["error"] or {}
        raise SystemExit(
            f"Job {done['id']} FAILED: {why.get('check')}: {why.get('reason')}"
            + (f" ({why['where']})" if why.get("where") else "")
        )
    print(f"Job {done['id']} SUCCEEDED: asset {done['assetId']}")
    for key in done["outputKeys"]:
        print(f"  {key}")


if __name__ == "__main__":
    main()
