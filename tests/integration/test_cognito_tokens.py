"""Cognito tokens through the real HTTP app: moto-issued tokens, and the attack matrix.

Valid tokens, other app clients and other pools come from moto's real Cognito (InitiateAuth);
tokens that need a private key (expired, not yet valid, wrong issuer...) are signed with keys
that a tiny loopback JWKS server publishes for a made-up pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from typer.testing import CliRunner

from gateway.app import create_app
from gateway.bootstrap import Services, build_services, build_token_verifier, provision
from gateway.cli import app as cli
from gateway.local_cognito import LocalCognito, Tokens, create_demo_pool, demo_user, sign_in
from gateway.settings import LOCAL_API_KEY, Settings
from resolvers.context import AuthMode
from resolvers.global_ids import to_global_id
from tests import factories
from tests.conftest import make_settings
from tests.support.jwt_forge import (
    JwksServer,
    SigningKey,
    assemble,
    cognito_claims,
    hmac_signed,
    public_pem_of_jwk,
    split,
)
from tests.support.moto_process import MotoProcess, free_port

pytestmark = pytest.mark.integration

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
FORGED_POOL = "us-east-1_ForgedPool1"
FORGED_ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{FORGED_POOL}"
FORGED_CLIENT = "forgedappclient01"
CATEGORIES = {"query": "{ categories { name } }"}
CREATE = """
mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on CreateProductSuccess { product { slug name version category { name } } }
    ... on CreateProductError { code message field }
  }
}
"""
PRODUCT = "query P($slug: String!) { product(slug: $slug) { name brand } }"


@dataclass(frozen=True)
class Pools:
    main: LocalCognito
    other: LocalCognito
    stranger_client_id: str  # a second app client of the main pool, not allowed by the API


@dataclass(frozen=True)
class Tables:
    table: str
    bucket: str
    services: Services  # built once: each gateway below differs only in its token verifier


@pytest.fixture(scope="module")
def pools(moto: MotoProcess) -> Pools:
    main = create_demo_pool(moto.endpoint_url, REGION, credentials=CREDENTIALS, pool_name="main")
    other = create_demo_pool(moto.endpoint_url, REGION, credentials=CREDENTIALS, pool_name="other")
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=moto.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stranger = cognito.create_user_pool_client(
        UserPoolId=main.user_pool_id,
        ClientName="someone-elses-app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return Pools(main=main, other=other, stranger_client_id=stranger)


def login(pool: LocalCognito, role: str, client_id: str | None = None) -> Tokens:
    user = demo_user(role)
    return sign_in(
        client_id=client_id or pool.app_client_id,
        username=user.username,
        password=user.password,
        region=pool.region,
        endpoint_url=pool.endpoint_url,
        credentials=CREDENTIALS,
    )


@pytest.fixture(scope="module")
def admin(pools: Pools) -> Tokens:
    return login(pools.main, "admin")


@pytest.fixture(scope="module")
def shopper(pools: Pools) -> Tokens:
    return login(pools.main, "shopper")


@pytest.fixture(scope="module")
async def tables(moto: MotoProcess) -> AsyncIterator[Tables]:
    settings = make_settings(moto.endpoint_url)
    services = build_services(settings)
    await provision(services)
    for category in factories.categories():
        await services.catalog.put_category(category)
    yield Tables(settings.catalog_table, settings.asset_bucket, services)
    await services.close()


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey("forged-pool-key-1")


@pytest.fixture(scope="module")
def jwks(signing_key: SigningKey) -> Iterator[JwksServer]:
    server = JwksServer(signing_key).start()
    yield server
    server.stop()


def moto_settings(
    moto: MotoProcess, tables: Tables, pool: LocalCognito, **overrides: object
) -> tuple[Settings, Tables]:
    """Settings of a gateway that trusts ``pool`` of moto's Cognito."""
    values: dict[str, object] = {
        **pool.environment(),
        "VITRINE_CATALOG_TABLE": tables.table,
        "VITRINE_ASSET_BUCKET": tables.bucket,
    }
    return make_settings(moto.endpoint_url, **{**values, **overrides}), tables


def forged_settings(
    moto: MotoProcess, tables: Tables, jwks_url: str, **overrides: object
) -> tuple[Settings, Tables]:
    """Settings of a gateway that trusts the made-up pool whose JWKS the test serves."""
    values: dict[str, object] = {
        "COGNITO_USER_POOL_ID": FORGED_POOL,
        "COGNITO_APP_CLIENT_IDS": FORGED_CLIENT,
        "COGNITO_JWKS_URL": jwks_url,
        "VITRINE_CATALOG_TABLE": tables.table,
        "VITRINE_ASSET_BUCKET": tables.bucket,
    }
    return make_settings(moto.endpoint_url, **{**values, **overrides}), tables


@asynccontextmanager
async def gateway(
    configured: tuple[Settings, Tables],
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """The real app for these settings, over the module's data sources (already checked)."""
    settings, tables = configured
    services = replace(tables.services, tokens=build_token_verifier(settings))
    app = create_app(settings, services, check_on_start=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client, services


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def new_product(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Aria Lounge Chair",
        "description": "Curved oak lounge chair",
        "brand": "Nordhem",
        "categoryId": to_global_id("Category", "chairs"),
        "dimensions": {"width": 0.8, "depth": 0.85, "height": 0.9},
        "variants": [
            {
                "sku": f"{slug.upper()}-OAK",
                "title": "Oak",
                "options": [{"name": "material", "value": "Oak"}],
                "price": {"amount": 49_900, "currency": "EUR"},
            }
        ],
        "tags": ["oak"],
        "status": "ACTIVE",
    }


def assert_unauthenticated(response: httpx.Response, message_part: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["data"] is None
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["extensions"] == {"errorType": "UnauthorizedException", "code": "UNAUTHENTICATED"}
    assert message_part in error["message"]


# -- real tokens from moto's Cognito ------------------------------------------------------------


async def test_moto_access_and_id_tokens_identify_the_user(
    moto: MotoProcess, tables: Tables, pools: Pools, admin: Tokens
) -> None:
    # given a gateway trusting the main pool, and the demo admin's tokens from InitiateAuth
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, services):
        # when the tokens are verified, and sent with and without the Bearer scheme
        from_access = await services.tokens.verify(admin.access_token)
        from_id = await services.tokens.verify(admin.id_token)
        answers = [
            await http.post("/graphql", json=CATEGORIES, headers=headers)
            for headers in (
                bearer(admin.access_token),
                {"authorization": admin.id_token},
                {"Authorization": f"bearer  {admin.access_token}"},
            )
        ]
    # then both tokens name the same Cognito user with the admin group, and every request reads
    assert from_access.mode is AuthMode.AMAZON_COGNITO_USER_POOLS
    assert from_access.subject == from_id.subject
    assert from_access.groups == from_id.groups == frozenset({"admin"})
    assert from_access.username == from_access.subject  # the pool signs users in by email
    assert from_id.username == from_id.subject
    assert from_id.claims["email"] == "admin@vitrine.local"
    assert from_access.claims["client_id"] == pools.main.app_client_id
    assert from_id.claims["aud"] == pools.main.app_client_id
    for answer in answers:
        assert answer.status_code == 200
        body = answer.json()
        assert "errors" not in body
        assert [c["name"] for c in body["data"]["categories"]] == ["Furniture", "Lighting"]


async def test_admin_token_creates_a_product_over_http(
    moto: MotoProcess, tables: Tables, pools: Pools, admin: Tokens
) -> None:
    # given the demo merchant admin's access token
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when the admin creates a product, and a storefront then reads it with the API key
        created = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": new_product("admin-made-chair")}},
            headers=bearer(admin.access_token),
        )
        read = await http.post(
            "/graphql",
            json={"query": PRODUCT, "variables": {"slug": "admin-made-chair"}},
            headers={"x-api-key": LOCAL_API_KEY},
        )
    # then the product is created at version 1 in DynamoDB and the storefront sees it
    assert created.status_code == 200
    body = created.json()
    assert "errors" not in body
    assert body["data"]["createProduct"] == {
        "__typename": "CreateProductSuccess",
        "product": {
            "slug": "admin-made-chair",
            "name": "Aria Lounge Chair",
            "version": 1,
            "category": {"name": "Chairs"},
        },
    }
    assert "errors" not in read.json()
    assert read.json()["data"]["product"] == {"name": "Aria Lounge Chair", "brand": "Nordhem"}


async def test_shopper_token_on_an_admin_mutation_is_forbidden(
    moto: MotoProcess, tables: Tables, pools: Pools, shopper: Tokens
) -> None:
    # given the demo shopper's valid token (group shopper, not admin)
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when the shopper tries to create a product, also with the API key alongside
        attempt = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": new_product("shopper-made-chair")}},
            headers={**bearer(shopper.access_token), "x-api-key": LOCAL_API_KEY},
        )
        read = await http.post(
            "/graphql",
            json={"query": PRODUCT, "variables": {"slug": "shopper-made-chair"}},
            headers={"x-api-key": LOCAL_API_KEY},
        )
    # then the token wins over the key, the caller is authenticated but FORBIDDEN, and nothing
    # was written
    assert attempt.status_code == 200
    body = attempt.json()
    assert body["data"] is None
    assert [e["extensions"] for e in body["errors"]] == [
        {"errorType": "Forbidden", "code": "FORBIDDEN"}
    ]
    assert body["errors"][0]["message"] == "Only merchant admins may do this"
    assert "errors" not in read.json()
    assert read.json()["data"]["product"] is None


async def test_an_invalid_token_is_refused_even_with_a_valid_api_key(
    moto: MotoProcess, tables: Tables, pools: Pools, admin: Tokens
) -> None:
    # given a valid API key and a token cut short
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when both are sent
        response = await http.post(
            "/graphql",
            json=CATEGORIES,
            headers={**bearer(admin.access_token[:-10]), "x-api-key": LOCAL_API_KEY},
        )
    # then the token is what counts, and the whole request is refused
    assert_unauthenticated(response, "signature does not verify")


async def test_token_from_another_pool_is_rejected(
    moto: MotoProcess, tables: Tables, pools: Pools
) -> None:
    # given the other pool's admin (moto signs every pool with the same key, and the gateway
    # even allows the other pool's app client): only the issuer tells the pools apart
    other_admin = login(pools.other, "admin")
    clients = f"{pools.main.app_client_id},{pools.other.app_client_id}"
    settings = moto_settings(moto, tables, pools.main, COGNITO_APP_CLIENT_IDS=clients)
    async with gateway(settings) as (http, _):
        # when that user calls with their access and ID tokens
        answers = [
            await http.post("/graphql", json=CATEGORIES, headers=bearer(token))
            for token in (other_admin.access_token, other_admin.id_token)
        ]
    # then both are refused for their issuer
    for answer in answers:
        assert_unauthenticated(answer, "issued by another issuer than this API's user pool")


async def test_tokens_of_another_app_client_are_rejected(
    moto: MotoProcess, tables: Tables, pools: Pools
) -> None:
    # given tokens the main pool issued to an app client the API does not list
    stranger = login(pools.main, "admin", client_id=pools.stranger_client_id)
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when they are sent
        by_id = await http.post("/graphql", json=CATEGORIES, headers=bearer(stranger.id_token))
        by_access = await http.post(
            "/graphql", json=CATEGORIES, headers=bearer(stranger.access_token)
        )
    # then the ID token fails on aud and the access token on client_id
    assert_unauthenticated(by_id, "The ID token's aud is not an app client of this API")
    assert_unauthenticated(
        by_access, "The access token's client_id is not an app client of this API"
    )


async def test_a_required_token_type_refuses_the_other(
    moto: MotoProcess, tables: Tables, pools: Pools, admin: Tokens
) -> None:
    # given one gateway that requires access tokens and one that requires ID tokens
    answers: dict[str, list[httpx.Response]] = {}
    for required in ("access", "id"):
        settings = moto_settings(moto, tables, pools.main, COGNITO_TOKEN_USE=required)
        async with gateway(settings) as (http, _):
            # when each receives an ID token and an access token of the same valid session
            answers[required] = [
                await http.post("/graphql", json=CATEGORIES, headers=bearer(token))
                for token in (admin.id_token, admin.access_token)
            ]
    # then each accepts only the kind it requires
    id_at_access, access_at_access = answers["access"]
    id_at_id, access_at_id = answers["id"]
    assert_unauthenticated(
        id_at_access, "An ID token was presented where this API requires an access token"
    )
    assert_unauthenticated(
        access_at_id, "An access token was presented where this API requires an ID token"
    )
    for accepted in (access_at_access, id_at_id):
        assert accepted.status_code == 200
        assert "errors" not in accepted.json()


async def test_alg_none_is_rejected(
    moto: MotoProcess, tables: Tables, pools: Pools, shopper: Tokens
) -> None:
    # given a real token's claims, re-issued unsigned with alg none
    header, payload, _ = split(shopper.access_token)
    unsigned = assemble({**header, "alg": "none"}, {**payload, "cognito:groups": ["admin"]}, "")
    lowercase = assemble({**header, "alg": "None"}, payload, "")
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when they are sent
        answers = [
            await http.post("/graphql", json=CATEGORIES, headers=bearer(token))
            for token in (unsigned, lowercase)
        ]
    # then they are refused for their algorithm
    assert_unauthenticated(answers[0], "signed with alg 'none'; only RS256")
    assert_unauthenticated(answers[1], "signed with alg 'None'; only RS256")


async def test_hs256_signed_with_the_public_key_is_rejected(
    moto: MotoProcess, tables: Tables, pools: Pools, shopper: Tokens
) -> None:
    # given the pool's published public key, used as an HMAC secret (the algorithm-confusion
    # attack), over a real token's claims promoted to admin
    async with httpx.AsyncClient() as client:
        jwks = (await client.get(pools.main.jwks_url)).json()
    pem = public_pem_of_jwk(jwks["keys"][0])
    header, payload, _ = split(shopper.access_token)
    promoted = {**payload, "cognito:groups": ["admin"]}
    forged = [
        hmac_signed({**header, "alg": "HS256"}, promoted, pem),
        hmac_signed({**header, "alg": "RS256"}, promoted, pem),  # claiming RS256 anyway
    ]
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when they are sent to an admin mutation
        answers = [
            await http.post(
                "/graphql",
                json={"query": CREATE, "variables": {"input": new_product("hs-chair")}},
                headers=bearer(token),
            )
            for token in forged
        ]
    # then the first is refused for its algorithm and the second for its signature
    assert_unauthenticated(answers[0], "signed with alg 'HS256'; only RS256")
    assert_unauthenticated(answers[1], "signature does not verify")


async def test_tampered_payload_is_rejected(
    moto: MotoProcess, tables: Tables, pools: Pools, shopper: Tokens
) -> None:
    # given the shopper's real token with the groups claim flipped to admin, signature kept
    header, payload, signature = split(shopper.access_token)
    assert payload["cognito:groups"] == ["shopper"]
    tampered = assemble(header, {**payload, "cognito:groups": ["admin"]}, signature)
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when it is sent to an admin mutation
        response = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": new_product("tampered-chair")}},
            headers=bearer(tampered),
        )
    # then the signature no longer verifies
    assert_unauthenticated(response, "The token's signature does not verify")


# -- forged tokens, signed with keys of a made-up pool --------------------------------------------


FORGED_CASES = [
    pytest.param({"exp": -120}, "The token has expired", id="expired"),
    pytest.param({"nbf": 600}, "is not valid yet", id="not-yet-valid-nbf"),
    pytest.param({"iat": 600}, "is not valid yet", id="issued-in-the-future"),
    pytest.param(
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Elsewhere"},
        "issued by another issuer",
        id="wrong-issuer",
    ),
    pytest.param({"iss": FORGED_ISSUER + "/"}, "issued by another issuer", id="issuer-suffix"),
    pytest.param({"client_id": "another-client"}, "client_id is not an app client", id="client"),
    pytest.param(
        {"token_use": "id", "aud": "another-client"}, "aud is not an app client", id="audience"
    ),
    pytest.param(
        {"token_use": "id", "aud": [FORGED_CLIENT]}, "aud is not an app client", id="aud-list"
    ),
    pytest.param({"token_use": None}, "lacks the required 'token_use' claim", id="no-use"),
    pytest.param({"token_use": "refresh"}, "only Cognito ID and access tokens", id="refresh"),
    pytest.param({"token_use": ["id"]}, "only Cognito ID and access tokens", id="use-list"),
    pytest.param({"sub": None}, "lacks the required 'sub' claim", id="no-sub"),
    pytest.param({"exp": None}, "lacks the required 'exp' claim", id="no-exp"),
    pytest.param({"cognito:groups": "admin"}, "cognito:groups claim is not a list", id="groups"),
]


@pytest.mark.parametrize(("change", "complaint"), FORGED_CASES)
async def test_forged_claims_are_rejected(
    moto: MotoProcess,
    tables: Tables,
    jwks: JwksServer,
    signing_key: SigningKey,
    change: dict[str, Any],
    complaint: str,
) -> None:
    # given a token signed with the pool's published key, one claim wrong (times relative to now)
    claims = cognito_claims(FORGED_ISSUER, FORGED_CLIENT)
    for name, value in change.items():
        if value is None:
            claims.pop(name)
        elif name in {"exp", "nbf", "iat"}:
            claims[name] = int(time.time()) + value
        else:
            claims[name] = value
    async with gateway(forged_settings(moto, tables, jwks.url)) as (http, _):
        # when it is sent
        response = await http.post(
            "/graphql", json=CATEGORIES, headers=bearer(signing_key.sign(claims))
        )
    # then it is refused, saying what was wrong
    assert_unauthenticated(response, complaint)


async def test_a_well_formed_forged_token_is_accepted_only_with_the_published_key(
    moto: MotoProcess, tables: Tables, jwks: JwksServer, signing_key: SigningKey
) -> None:
    # given the same valid claims signed with the published key, with an unpublished key under
    # an unknown kid, and with an unpublished key claiming the published kid
    claims = cognito_claims(FORGED_ISSUER, FORGED_CLIENT)
    intruder = SigningKey("intruder")
    tokens = [
        signing_key.sign(claims),
        intruder.sign(claims),
        intruder.sign(claims, kid=signing_key.kid),
    ]
    async with gateway(forged_settings(moto, tables, jwks.url)) as (http, services):
        # when each is sent
        answers = [
            await http.post("/graphql", json=CATEGORIES, headers=bearer(token)) for token in tokens
        ]
        identity = await services.tokens.verify(tokens[0])
    # then only the first is accepted
    assert answers[0].status_code == 200
    assert "errors" not in answers[0].json()
    assert identity.groups == frozenset({"admin"})
    assert identity.username == "forged-admin"
    assert_unauthenticated(answers[1], "a key that the user pool does not publish (unknown kid)")
    assert_unauthenticated(answers[2], "signature does not verify")


async def test_jwks_is_fetched_once_and_once_more_for_a_rotated_key(
    moto: MotoProcess, tables: Tables
) -> None:
    # given a pool publishing one key, and a gateway that has not fetched it yet
    first, rotated, unpublished = SigningKey("k1"), SigningKey("k2"), SigningKey("k3")
    server = JwksServer(first).start()
    claims = cognito_claims(FORGED_ISSUER, FORGED_CLIENT)
    try:
        async with gateway(forged_settings(moto, tables, server.url)) as (http, _):
            # when 25 requests arrive at once
            burst = await asyncio.gather(
                *(
                    http.post("/graphql", json=CATEGORIES, headers=bearer(first.sign(claims)))
                    for _ in range(25)
                )
            )
            after_burst = server.requests
            # and the pool rotates to a new key, which the next token uses
            server.publish(first, rotated)
            with_rotated = await http.post(
                "/graphql", json=CATEGORIES, headers=bearer(rotated.sign(claims))
            )
            after_rotation = server.requests
            # and an attacker then sends 20 tokens naming a kid the pool never published
            probes = [
                await http.post(
                    "/graphql", json=CATEGORIES, headers=bearer(unpublished.sign(claims))
                )
                for _ in range(20)
            ]
            # and old-key tokens keep working
            still = await http.post("/graphql", json=CATEGORIES, headers=bearer(first.sign(claims)))
    finally:
        server.stop()
    # then the burst cost one fetch, the rotation one more, and the probes none
    assert [r.status_code for r in burst] == [200] * 25
    assert all("errors" not in r.json() for r in burst)
    assert after_burst == 1
    assert with_rotated.status_code == 200
    assert "errors" not in with_rotated.json()
    assert after_rotation == 2
    for probe in probes:
        assert_unauthenticated(probe, "unknown kid")
    assert server.requests == 2
    assert still.status_code == 200
    assert "errors" not in still.json()


async def test_unreachable_jwks_is_a_503_not_a_401(moto: MotoProcess, tables: Tables) -> None:
    # given a gateway whose pool's JWKS URL answers nothing
    dead = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"
    token = SigningKey("k1").sign(cognito_claims(FORGED_ISSUER, FORGED_CLIENT))
    async with gateway(forged_settings(moto, tables, dead)) as (http, _):
        # when a token arrives
        response = await http.post("/graphql", json=CATEGORIES, headers=bearer(token))
        # and an API-key caller is unaffected
        keyed = await http.post("/graphql", json=CATEGORIES, headers={"x-api-key": LOCAL_API_KEY})
    # then the caller learns the service is unavailable, not that the token is bad
    assert response.status_code == 503
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"] for e in body["errors"]] == [
        {"errorType": "ServiceUnavailable", "code": "SERVICE_UNAVAILABLE"}
    ]
    assert "signing keys could not be fetched" in body["errors"][0]["message"]
    assert "errors" not in keyed.json()


async def test_tokens_are_refused_when_no_pool_is_configured(
    moto: MotoProcess, tables: Tables, admin: Tokens
) -> None:
    # given a gateway with no Cognito settings
    settings = make_settings(
        moto.endpoint_url, VITRINE_CATALOG_TABLE=tables.table, VITRINE_ASSET_BUCKET=tables.bucket
    )
    async with gateway((settings, tables)) as (http, _):
        # when a real token arrives
        response = await http.post("/graphql", json=CATEGORIES, headers=bearer(admin.access_token))
    # then it is refused, saying Cognito is not configured
    assert_unauthenticated(response, "Cognito is not configured on this API")


@pytest.mark.parametrize(
    ("authorization", "complaint"),
    [
        ("Basic YWRtaW46YWRtaW4=", "must hold a Cognito token"),
        ("Bearer", "no token after 'Bearer'"),
        ("Bearer    ", "no token after 'Bearer'"),
        ("", "The Authorization header is empty"),
        ("not-a-jwt", "not a well-formed JWT"),
        ("a.b.c", "not a well-formed JWT"),
        ("x" * 20_000, "too large to be a Cognito token"),
    ],
)
async def test_malformed_authorization_headers_are_refused(
    moto: MotoProcess, tables: Tables, pools: Pools, authorization: str, complaint: str
) -> None:
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        response = await http.post(
            "/graphql", json=CATEGORIES, headers={"authorization": authorization}
        )
    assert_unauthenticated(response, complaint)


# -- `vitrine token` ----------------------------------------------------------------------------


def test_vitrine_token_prints_tokens_the_gateway_accepts(
    moto: MotoProcess, pools: Pools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the pool recorded by a running local stack in this directory, and no COGNITO_* set
    monkeypatch.chdir(tmp_path)
    pools.main.write_state(tmp_path / ".vitrine")
    unset: dict[str, str | None] = dict.fromkeys(pools.main.environment())
    runner = CliRunner()
    # when the admin's access token and the shopper's ID token are asked for
    admin_run = runner.invoke(cli, ["token", "--user", "admin"], env=unset)
    shopper_run = runner.invoke(cli, ["token", "--user", "shopper", "--kind", "id"], env=unset)
    # and, with the settings exported instead, the admin's again
    exported = runner.invoke(
        cli,
        ["token", "--user", "admin"],
        env={**pools.other.environment(), "AWS_ENDPOINT_URL": moto.endpoint_url},
    )
    assert admin_run.exit_code == 0, admin_run.output
    assert shopper_run.exit_code == 0, shopper_run.output
    assert exported.exit_code == 0, exported.output
    # then each printed one token of the right pool, kind and user
    _, admin_claims, _ = split(admin_run.stdout.strip())
    _, shopper_claims, _ = split(shopper_run.stdout.strip())
    _, exported_claims, _ = split(exported.stdout.strip())
    assert (admin_claims["token_use"], admin_claims["cognito:groups"]) == ("access", ["admin"])
    assert admin_claims["iss"] == pools.main.issuer
    assert (shopper_claims["token_use"], shopper_claims["email"]) == ("id", "shopper@vitrine.local")
    assert exported_claims["iss"] == pools.other.issuer


async def test_vitrine_token_output_verifies(
    moto: MotoProcess, tables: Tables, pools: Pools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a token printed by `vitrine token --user admin` for the local pool
    monkeypatch.chdir(tmp_path)
    pools.main.write_state(tmp_path / ".vitrine")
    printed = CliRunner().invoke(
        cli, ["token", "--user", "admin"], env=dict.fromkeys(pools.main.environment())
    )
    assert printed.exit_code == 0, printed.output
    async with gateway(moto_settings(moto, tables, pools.main)) as (http, _):
        # when it is used for an admin mutation
        response = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": new_product("cli-token-chair")}},
            headers=bearer(printed.stdout.strip()),
        )
    # then the product is created
    assert "errors" not in response.json()
    assert response.json()["data"]["createProduct"]["__typename"] == "CreateProductSuccess"


def test_vitrine_token_without_a_pool_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["token"], env=dict.fromkeys(("COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_IDS"))
    )
    assert result.exit_code == 2
    assert "no user pool" in result.output
    assert "make run" in result.output


def test_vitrine_token_has_help() -> None:
    result = CliRunner().invoke(cli, ["token", "--help"])
    assert result.exit_code == 0
    assert "--user" in result.output
    assert "InitiateAuth" in result.output
