"""schemathesis' GraphQL fuzzing against the gateway (test profile, API key): bounded and
derandomized, no answer may be a server error or break the GraphQL-over-HTTP response shape."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from gateway.app import create_app
from gateway.bootstrap import build_services, provision
from tests.api.conftest import API_KEY, load_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration


async def _prepare(services: Any) -> None:
    await provision(services)
    await load_catalog(services, 5)


@pytest.fixture(scope="module")
def graphql_schema(moto: MotoProcess) -> Any:
    """The gateway's schema as schemathesis reads it by introspection over ASGI."""
    gateway_settings = make_settings(moto.endpoint_url)
    services = build_services(gateway_settings)
    asyncio.run(_prepare(services))
    app = create_app(gateway_settings, services, check_on_start=False)
    return schemathesis.graphql.from_asgi("/graphql", app, headers=API_KEY)


def check_response(case: Any) -> None:
    """Send ``case`` with the storefront's API key; no 5xx, a GraphQL-over-HTTP answer."""
    response = case.call(headers=API_KEY)
    assert response.status_code < 500, response.text
    body = response.json()
    assert "data" in body or "errors" in body, body
    for error in body.get("errors") or []:
        assert isinstance(error.get("message"), str), error
        assert error["message"], error


@pytest.mark.parametrize(
    ("mode", "examples"), [(GenerationMode.POSITIVE, 100), (GenerationMode.NEGATIVE, 50)]
)
def test_no_server_errors_and_valid_graphql_responses(
    graphql_schema: Any, mode: GenerationMode, examples: int
) -> None:
    # given schemathesis' generated operations over every Query and Mutation field
    @given(case=graphql_schema.as_strategy(mode))
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        # when each is sent, then the gateway answers it without failing
        check_response(case)

    run()
