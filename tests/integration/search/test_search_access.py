"""The custom resource that maps IAM roles into OpenSearch's fine-grained access control,
against a local HTTP server standing in for the domain's security API and for
CloudFormation's response URL (it records each request and answers with the status a test
gives)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gateway.lambda_search_access import handler

GATEWAY_ROLE = "arn:aws:iam::111122223333:role/vitrine-test-gateway"


class SecurityApi(ThreadingHTTPServer):
    """Records (method, path, headers, body); answers ``statuses[(method, path)]`` or 200."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.statuses: dict[tuple[str, str], int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: SecurityApi

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        self.server.requests.append((self.command, self.path, dict(self.headers), body))
        status = self.server.statuses.get((self.command, self.path), 200)
        payload = json.dumps({"status": "OK" if status < 400 else "FORBIDDEN"}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_PUT = do_DELETE = _answer  # noqa: N815 (http.server's method names)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def security_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecurityApi]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAVITRINETEST00002")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "vitrine-test-secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    server = SecurityApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


RESPONSE_PATH = "/cloudformation-response"


def _event(request_type: str, endpoint: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": f"{endpoint}{RESPONSE_PATH}",
        "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/vitrine-test-api/1",
        "RequestId": "request-1",
        "LogicalResourceId": "SearchAccessMapping",
        "ResourceProperties": {
            "Endpoint": endpoint,
            "RoleName": "vitrine_gateway",
            "BackendRole": GATEWAY_ROLE,
            "IndexPattern": "products*",
        },
    }


def test_create_puts_a_scoped_role_and_maps_the_iam_role_to_it(security_api: SecurityApi) -> None:
    # when the resource is created
    handler(_event("Create", security_api.url))
    # then a role limited to the alias's indexes was put, then the mapping, both signed
    calls = security_api.requests[:-1]
    assert [(m, p) for m, p, _, _ in calls] == [
        ("PUT", "/_plugins/_security/api/roles/vitrine_gateway"),
        ("PUT", "/_plugins/_security/api/rolesmapping/vitrine_gateway"),
    ]
    role, mapping = (body for _, _, _, body in calls)
    assert role["index_permissions"] == [
        {"index_patterns": ["products*"], "allowed_actions": ["indices_all"]}
    ]
    assert "all_access" not in json.dumps(role)
    assert mapping == {"backend_roles": [GATEWAY_ROLE]}
    for _, _, headers, _ in calls:
        assert headers["Authorization"].startswith(
            "AWS4-HMAC-SHA256 Credential=AKIAVITRINETEST00002/"
        )
        assert "/eu-west-1/es/aws4_request" in headers["Authorization"]
    # and CloudFormation heard of the success, with the role name as the physical id
    assert _response(security_api) == {
        "Status": "SUCCESS",
        "Reason": "done",
        "PhysicalResourceId": "vitrine_gateway",
        "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/vitrine-test-api/1",
        "RequestId": "request-1",
        "LogicalResourceId": "SearchAccessMapping",
    }


def _response(security_api: SecurityApi) -> dict[str, Any]:
    """The one response sent to CloudFormation (the last request), unsigned."""
    method, path, headers, body = security_api.requests[-1]
    assert (method, path) == ("PUT", RESPONSE_PATH)
    assert "Authorization" not in headers
    assert isinstance(body, dict)
    return body


def test_delete_removes_the_mapping_then_the_role_and_tolerates_them_gone(
    security_api: SecurityApi,
) -> None:
    # given a role whose mapping is already gone
    security_api.statuses[("DELETE", "/_plugins/_security/api/rolesmapping/vitrine_gateway")] = 404
    # when the resource is deleted
    handler(_event("Delete", security_api.url))
    # then both were asked to go, the mapping first, and the 404 was not an error
    assert [(m, p) for m, p, _, _ in security_api.requests] == [
        ("DELETE", "/_plugins/_security/api/rolesmapping/vitrine_gateway"),
        ("DELETE", "/_plugins/_security/api/roles/vitrine_gateway"),
        ("PUT", RESPONSE_PATH),
    ]
    assert _response(security_api)["Status"] == "SUCCESS"


def test_a_refusal_fails_the_deployment_with_the_clusters_answer(
    security_api: SecurityApi,
) -> None:
    # given a cluster that does not take this function's role as its master user
    security_api.statuses[("PUT", "/_plugins/_security/api/roles/vitrine_gateway")] = 403
    # when the resource is updated
    handler(_event("Update", security_api.url))
    # then CloudFormation is told it FAILED, with the call and the cluster's answer
    response = _response(security_api)
    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("SearchAccessError: PUT /_plugins/_security/api/roles/")
    assert "403" in response["Reason"]
    assert "FORBIDDEN" in response["Reason"]
    # and no mapping was attempted
    assert [p for _, p, _, _ in security_api.requests] == [
        "/_plugins/_security/api/roles/vitrine_gateway",
        RESPONSE_PATH,
    ]
