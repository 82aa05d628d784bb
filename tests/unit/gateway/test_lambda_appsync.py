"""The direct AppSync Lambda resolver, with events shaped as AWS documents them, on fakes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from datasources.cache.in_process import InProcessCache
from datasources.instrumentation import call_log
from datasources.records import ProductStatus
from gateway.lambda_appsync import (
    AppSyncResolver,
    decode_record,
    encode_record,
    identity_from_event,
)
from resolvers.context import AuthMode, DataSources
from resolvers.global_ids import to_global_id
from schema import build_schema
from tests import factories
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import fake_shopping

USER_POOL = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
SCHEMA = build_schema()


def cognito_identity(groups: list[str]) -> dict[str, Any]:
    """``identity`` for AMAZON_COGNITO_USER_POOLS, as in AppSync's context reference."""
    sub = "7d8ca528-4931-4254-9273-ea5ee853f271"
    return {
        "sub": sub,
        "issuer": USER_POOL,
        "username": "shopper" if "admin" not in groups else "admin",
        "claims": {
            "sub": sub,
            "cognito:groups": groups,
            "email_verified": True,
            "iss": USER_POOL,
            "cognito:username": "shopper" if "admin" not in groups else "admin",
            "aud": "7471s60os7h0uu77i1tk27sp9n",
            "event_id": "bc334ed8-a938-4474-b644-9547e304e606",
            "token_use": "id",
            "auth_time": 1599154213,
            "exp": 1599157813,
            "iat": 1599154213,
            "email": "shopper@vitrine.test",
        },
        "sourceIp": ["203.0.113.7"],
        "defaultAuthStrategy": "ALLOW",
        "groups": groups,
    }


IAM_IDENTITY = {
    "accountId": "123456789012",
    "cognitoIdentityPoolId": None,
    "cognitoIdentityId": None,
    "sourceIp": ["203.0.113.9"],
    "username": "AROAEXAMPLEID:indexer",
    "userArn": "arn:aws:sts::123456789012:assumed-role/vitrine-indexer/indexer",
    "cognitoIdentityAuthType": None,
    "cognitoIdentityAuthProvider": None,
}


def event(
    parent: str,
    field: str,
    *,
    arguments: dict[str, Any] | None = None,
    identity: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
    selection: list[str] | None = None,
) -> dict[str, Any]:
    """A direct Lambda resolver event (``Invoke``), as AppSync sends it."""
    selection = selection or ["id", "name"]
    return {
        "arguments": arguments or {},
        "identity": identity,
        "source": source,
        "request": {
            "headers": {"x-forwarded-for": "203.0.113.7", "content-type": "application/json"},
            "domainName": None,
        },
        "prev": None,
        "info": {
            "selectionSetList": selection,
            "selectionSetGraphQL": "{\n  " + "\n  ".join(selection) + "\n}",
            "parentTypeName": parent,
            "fieldName": field,
            "variables": {},
        },
        "stash": {},
    }


@pytest.fixture
def catalog() -> FakeCatalog:
    fake = FakeCatalog()
    for category in factories.categories():
        fake.categories[category.id] = category
    for index in range(30):
        product = factories.product(index)
        fake.products[product.id] = product
        fake.assets[f"asset-{index:03d}"] = factories.asset(f"asset-{index:03d}", product.id)
        for variant in product.variants:
            fake.stock[variant.sku] = factories.stock(variant.sku, index % 7)
    return fake


@pytest.fixture
def resolver(catalog: FakeCatalog) -> AppSyncResolver:
    sources = DataSources(
        catalog=catalog, blobs=FakeBlobStore(), asset_urls=FakeAssetUrls(), cache=InProcessCache()
    )
    return AppSyncResolver(SCHEMA, sources)


async def test_product_by_slug_for_a_cognito_shopper(resolver: AppSyncResolver) -> None:
    # given a signed-in shopper asking for a product page
    request = event(
        "Query",
        "product",
        arguments={"slug": "product-004"},
        identity=cognito_identity(["shopper"]),
        selection=["id", "name", "variants", "variants/sku", "priceRange"],
    )
    # when AppSync invokes the resolver
    product = await resolver.handle(request)
    # then the product comes back shaped like the schema: camelCase, global ID, typename
    assert product["__typename"] == "Product"
    assert product["id"] == to_global_id("Product", "prod-004")
    assert product["name"] == "Product 004"
    assert product["status"] == "ACTIVE"
    assert product["createdAt"] == "2026-01-05T00:00:00Z"
    assert product["priceRange"]["min"] == {
        "__typename": "Money",
        "amount": 10_400,
        "currency": "EUR",
    }
    assert [v["sku"] for v in product["variants"]] == ["SKU-004-G", "SKU-004-B"]
    # and fields with their own resolvers are left to AppSync's next invocations
    assert "category" not in product
    assert "availability" not in product["variants"][0]
    assert decode_record(product["__record"]).category_id == "sofas"


async def test_products_with_a_filter_input_for_an_api_key(resolver: AppSyncResolver) -> None:
    # given a storefront with an API key (AppSync passes identity null) and a filter input
    request = event(
        "Query",
        "products",
        arguments={
            "first": 50,
            "filter": {
                "brand": "Nordhem",
                "tags": ["velvet"],
                "minPrice": 11_000,
                "maxPrice": 12_500,
            },
            "sort": "PRICE_ASC",
        },
        identity=None,
        selection=["totalCount", "nodes", "nodes/name"],
    )
    # when
    page = await resolver.handle(request)
    # then the same products as through the HTTP gateway, in price order
    assert page["__typename"] == "ProductConnection"
    assert [n["name"] for n in page["nodes"]] == [
        "Product 000",
        "Product 006",
        "Product 012",
        "Product 018",
        "Product 024",
    ]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["edges"][0]["cursor"] == page["pageInfo"]["startCursor"]


async def test_batch_invoke_of_product_category_makes_one_catalog_call(
    resolver: AppSyncResolver,
) -> None:
    # given three products as AppSync got them from Query.products (the sources)
    listing = await resolver.handle(
        event("Query", "products", arguments={"first": 3}, selection=["nodes", "nodes/category"])
    )
    sources = listing["nodes"]
    batch = [event("Product", "category", source=source, selection=["name"]) for source in sources]
    # when AppSync batches Product.category for the three of them
    with call_log() as log:
        results = await resolver.handle(batch)
    # then three categories come back from one batched round trip
    assert [r["name"] for r in results] == ["Sofas", "Sofas", "Sofas"]
    assert [r["id"] for r in results] == [to_global_id("Category", "sofas")] * 3
    assert dict(log.calls) == {"fake.categories_by_ids": 1}


async def test_admin_mutation_is_forbidden_for_a_shopper(
    resolver: AppSyncResolver, catalog: FakeCatalog
) -> None:
    # given a shopper's token on a merchant-admin mutation
    request = event(
        "Mutation",
        "archiveProduct",
        arguments={"id": to_global_id("Product", "prod-001"), "expectedVersion": 1},
        identity=cognito_identity(["shopper"]),
    )
    # when invoked alone, and as an item of a batch
    with pytest.raises(Exception, match="Only merchant admins may do this") as raised:
        await resolver.handle(request)
    [item] = await resolver.handle([request])
    # then the error type is Forbidden both ways and nothing changed
    assert type(raised.value).__name__ == "Forbidden"
    assert item == {
        "data": None,
        "errorType": "Forbidden",
        "errorMessage": "Only merchant admins may do this",
        "errorInfo": {"code": "FORBIDDEN"},
    }
    assert catalog.products["prod-001"].status is ProductStatus.ACTIVE


async def test_admin_mutation_runs_for_an_admin(
    resolver: AppSyncResolver, catalog: FakeCatalog
) -> None:
    request = event(
        "Mutation",
        "archiveProduct",
        arguments={"id": to_global_id("Product", "prod-001"), "expectedVersion": 1},
        identity=cognito_identity(["admin"]),
    )
    result = await resolver.handle(request)
    assert result["__typename"] == "ArchiveProductSuccess"
    assert result["product"]["status"] == "ARCHIVED"
    assert result["product"]["version"] == 2
    assert catalog.products["prod-001"].status is ProductStatus.ARCHIVED


async def test_iam_callers_read_but_cannot_administer(resolver: AppSyncResolver) -> None:
    # given an IAM principal (a backend service)
    read = event("Query", "product", arguments={"slug": "product-002"}, identity=IAM_IDENTITY)
    write = event(
        "Mutation",
        "archiveProduct",
        arguments={"id": to_global_id("Product", "prod-002"), "expectedVersion": 1},
        identity=IAM_IDENTITY,
    )
    # when
    product, [refused] = await resolver.handle(read), await resolver.handle([write])
    # then it reads the public catalog and is refused the admin mutation
    assert product["name"] == "Product 002"
    assert refused["errorType"] == "UnauthorizedException"
    assert refused["errorInfo"] == {"code": "UNAUTHENTICATED"}


async def test_unknown_field_and_bad_arguments_are_typed_errors(resolver: AppSyncResolver) -> None:
    # given a field the schema does not have, a bad enum value and a too-large page
    unknown = event("Query", "productz", arguments={"slug": "x"})
    bad_enum = event("Query", "products", arguments={"sort": "CHEAPEST"})
    too_many = event("Query", "products", arguments={"first": 101})
    # when batched together with a good item
    good = event("Query", "product", arguments={"slug": "product-003"})
    results = await resolver.handle([unknown, bad_enum, too_many, good])
    # then each failed item carries its own errorType and the good one its data
    assert results[0]["errorType"] == "FieldUndefined"
    assert results[0]["errorMessage"] == "Query.productz is not a field of the schema"
    assert results[1]["errorType"] == "BadUserInput"
    assert results[1]["errorMessage"].startswith(
        "sort: Value 'CHEAPEST' does not exist in 'ProductSort' enum."
    )
    assert results[2] == {
        "data": None,
        "errorType": "BadUserInput",
        "errorMessage": "first must be between 1 and 100, got 101",
        "errorInfo": {"code": "BAD_USER_INPUT"},
    }
    assert results[3]["name"] == "Product 003"


async def test_data_source_outage_and_unexpected_errors(
    resolver: AppSyncResolver, catalog: FakeCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the catalog switched off
    catalog.down = True
    [outage] = await resolver.handle([event("Query", "product", arguments={"slug": "product-001"})])
    # then the outage is reported as such, with the invocation's request id
    assert outage["errorType"] == "ServiceUnavailable"
    assert outage["errorMessage"] == "fake catalog is unavailable: switched off by the test"
    assert outage["errorInfo"]["code"] == "SERVICE_UNAVAILABLE"
    assert len(outage["errorInfo"]["requestId"]) == 32

    # given a bug in a data source
    catalog.down = False

    async def broken(slug: str) -> None:
        raise KeyError("secret internals")

    monkeypatch.setattr(catalog, "product_by_slug", broken)
    [bug] = await resolver.handle([event("Query", "product", arguments={"slug": "product-001"})])
    # then it is masked
    assert bug["errorType"] == "InternalFailure"
    assert bug["errorMessage"] == "Internal server error"
    assert "secret" not in str(bug)


def test_identities_map_to_auth_modes() -> None:
    shopper = identity_from_event(cognito_identity(["shopper"]))
    assert shopper.mode is AuthMode.AMAZON_COGNITO_USER_POOLS
    assert shopper.groups == frozenset({"shopper"})
    assert shopper.subject == "7d8ca528-4931-4254-9273-ea5ee853f271"
    assert shopper.username == "shopper"
    assert identity_from_event(None).mode is AuthMode.API_KEY
    iam = identity_from_event(IAM_IDENTITY)
    assert iam.mode is AuthMode.API_KEY
    assert iam.subject == IAM_IDENTITY["userArn"]
    assert iam.groups == frozenset()


def test_record_codec_round_trips_and_refuses_foreign_classes() -> None:
    product = factories.product(7)
    assert decode_record(copy.deepcopy(encode_record(product))) == product
    with pytest.raises(Exception, match="unknown record type"):
        decode_record({"__dataclass__": "os:system"})


async def test_anonymous_cart_is_read_with_the_forwarded_cart_token_header(
    catalog: FakeCatalog,
) -> None:
    # given an anonymous cart and a resolver with a shopping store
    shopping, _ = fake_shopping()
    sources = DataSources(
        catalog=catalog,
        blobs=FakeBlobStore(),
        asset_urls=FakeAssetUrls(),
        cache=InProcessCache(),
        shopping=shopping,
    )
    resolver = AppSyncResolver(SCHEMA, sources)
    anonymous = await shopping.carts.create_anonymous_cart("EUR")
    cart_id = to_global_id("Cart", anonymous.cart.id)
    with_token = event("Query", "cart", arguments={"id": cart_id}, selection=["id"])
    with_token["request"]["headers"]["x-cart-token"] = anonymous.token
    wrong_token = copy.deepcopy(with_token)
    wrong_token["request"]["headers"]["x-cart-token"] = "not-the-token"
    no_token = event("Query", "cart", arguments={"id": cart_id}, selection=["id"])

    # when the three reads arrive in one BatchInvoke
    results = await resolver.handle([with_token, wrong_token, no_token])

    # then only the holder of the token sees the cart
    assert results[0]["id"] == cart_id, results[0]
    assert results[1:] == [None, None]
