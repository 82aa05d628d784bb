"""Without DATABASE_URL the catalog works and every shopping field is ServiceUnavailable."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import create_app
from gateway.bootstrap import build_services, provision
from gateway.settings import LOCAL_API_KEY
from resolvers.global_ids import to_global_id
from tests.api.conftest import load_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration


async def test_shopping_answers_service_unavailable_naming_database_url(moto: MotoProcess) -> None:
    # given a gateway on moto with no DATABASE_URL
    settings = make_settings(moto.endpoint_url)
    services = build_services(settings)
    await provision(services)
    await load_catalog(services, 2)
    app = create_app(settings, services)

    # when a storefront creates a cart, reads one, and lists products
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            headers = {"x-api-key": LOCAL_API_KEY}
            create = await http.post(
                "/graphql",
                json={"query": "mutation { cartCreate { __typename } }"},
                headers=headers,
            )
            read = await http.post(
                "/graphql",
                json={
                    "query": "query($id: ID!) { cart(id: $id) { id } }",
                    "variables": {"id": to_global_id("Cart", "x")},
                },
                headers=headers,
            )
            products = await http.post(
                "/graphql", json={"query": "{ products { totalCount } }"}, headers=headers
            )
            webhook = await http.post("/webhooks/payments/test", content=b"{}")

    # then shopping is a typed ServiceUnavailable naming DATABASE_URL; the catalog answers
    for response in (create, read):
        body = response.json()
        assert response.status_code == 200
        assert body["data"] in (None, {"cart": None})
        [error] = body["errors"]
        assert error["extensions"] == {
            "errorType": "ServiceUnavailable",
            "code": "SERVICE_UNAVAILABLE",
        }
        assert "DATABASE_URL" in error["message"]
    assert products.json() == {
        "data": {"products": {"totalCount": 2}},
        "extensions": products.json()["extensions"],
    }
    assert webhook.status_code == 404
