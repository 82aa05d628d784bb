"""CloudFormation custom resource (Lambda-backed) that lets one IAM role into the OpenSearch
domain's fine-grained access control.

This function's role is the domain's master user. For a resource with ``Endpoint``,
``RoleName``, ``BackendRole`` (an IAM role ARN) and ``IndexPattern``, Create and Update
put an OpenSearch security role allowed what the search adapter does (index templates,
aliases, bulk writes and searches on the pattern's indexes, cluster health) and map the IAM
role to it; Delete removes both. Requests are signed with SigV4 (``es``) with the function's
own credentials. The outcome goes to CloudFormation's ``ResponseURL``: SUCCESS, or FAILED
with the cluster's answer as the reason (so a refusal fails the deployment and says why).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

SECURITY_API = "/_plugins/_security/api"
CLUSTER_PERMISSIONS = (
    "cluster_monitor",
    "cluster_composite_ops",
    "indices:admin/index_template/*",
    "indices:admin/template/*",
)
"""Health and ping, bulk/msearch/mget, and the index template the adapter puts."""
INDEX_ACTIONS = ("indices_all",)
"""On the alias's indexes only: create, write, search, switch the alias, drop old ones."""
TIMEOUT_SECONDS = 30


class SearchAccessError(RuntimeError):
    """The cluster refused a security API call."""


def role_body(index_pattern: str) -> dict[str, Any]:
    """The OpenSearch security role for the adapter on ``index_pattern``."""
    return {
        "description": "Vitrine search adapter (managed by CloudFormation)",
        "cluster_permissions": list(CLUSTER_PERMISSIONS),
        "index_permissions": [
            {"index_patterns": [index_pattern], "allowed_actions": list(INDEX_ACTIONS)}
        ],
    }


def _call(endpoint: str, method: str, path: str, body: Mapping[str, Any] | None) -> int:
    """One signed request; the status (404 is an answer, not an error)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"} if data is not None else {}
    request = AWSRequest(method=method, url=f"{endpoint}{path}", data=data, headers=headers)
    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise SearchAccessError("no AWS credentials to sign the security API calls with")
    SigV4Auth(credentials, "es", os.environ["AWS_REGION"]).add_auth(request)
    prepared = urllib.request.Request(
        f"{endpoint}{path}", data=data, headers=dict(request.headers.items()), method=method
    )
    try:
        with urllib.request.urlopen(prepared, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        if error.code == 404 and method == "DELETE":
            return 404
        detail = error.read().decode(errors="replace")[:500]
        raise SearchAccessError(f"{method} {path}: {error.code} {detail}") from error


def apply(event: Mapping[str, Any]) -> str:
    """Create, update or delete one role and its mapping; the physical id (the role name)."""
    properties = event["ResourceProperties"]
    endpoint = str(properties["Endpoint"]).rstrip("/")
    name = str(properties["RoleName"])
    role_path, mapping_path = f"{SECURITY_API}/roles/{name}", f"{SECURITY_API}/rolesmapping/{name}"
    if event["RequestType"] == "Delete":
        _call(endpoint, "DELETE", mapping_path, None)
        _call(endpoint, "DELETE", role_path, None)
    else:
        _call(endpoint, "PUT", role_path, role_body(str(properties["IndexPattern"])))
        _call(endpoint, "PUT", mapping_path, {"backend_roles": [str(properties["BackendRole"])]})
    return name


def handler(event: Mapping[str, Any], _context: object = None) -> None:
    """Lambda entry point: apply the change and report it to CloudFormation."""
    try:
        physical_id, status, reason = apply(event), "SUCCESS", "done"
    except (SearchAccessError, KeyError, OSError) as error:
        physical_id = str(event.get("PhysicalResourceId") or event["LogicalResourceId"])
        status, reason = "FAILED", f"{type(error).__name__}: {error}"[:1000]
    respond(event, status, reason, physical_id)


def respond(event: Mapping[str, Any], status: str, reason: str, physical_id: str) -> None:
    """PUT the custom resource response to the pre-signed ``ResponseURL``."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason,
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        headers={"content-type": "", "content-length": str(len(body))},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
        pass
