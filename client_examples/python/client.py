"""A small typed GraphQL client: httpx for HTTP, graphql-core to parse the operations of
client_examples/operations (the same documents the web storefront sends)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx
from graphql import OperationDefinitionNode, parse

OPERATIONS = Path(__file__).parents[1] / "operations"
LOCAL_ENDPOINT = "http://127.0.0.1:8000/graphql"
LOCAL_API_KEY = "da2-vitrine-local-development-key"


class VitrineError(Exception):
    """The API answered with GraphQL errors (or no data): ``errors`` as sent."""

    def __init__(self, errors: list[dict[str, Any]], status: int) -> None:
        self.errors = errors
        self.status = status
        first = errors[0] if errors else {}
        self.error_type: str | None = first.get("extensions", {}).get("errorType")
        super().__init__(f"{status}: {first.get('message', 'no data')} ({self.error_type})")


def load_operation(name: str) -> str:
    """The document of operation ``name``, checked to hold exactly that named operation."""
    text = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    names = [
        d.name.value
        for d in parse(text).definitions
        if isinstance(d, OperationDefinitionNode) and d.name is not None
    ]
    if names != [name]:
        raise ValueError(f"{name}.graphql must hold the one operation {name}, found {names}")
    return text


@dataclass
class Vitrine:
    """A session with the API: the API key, or a Cognito token, and an anonymous cart token."""

    endpoint: str = LOCAL_ENDPOINT
    api_key: str | None = LOCAL_API_KEY
    access_token: str | None = None
    cart_token: str | None = None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def headers(self) -> dict[str, str]:
        """Authorization (Cognito token, else API key) and the cart token."""
        headers: dict[str, str] = {}
        if self.access_token:
            headers["authorization"] = f"Bearer {self.access_token}"
        elif self.api_key:
            headers["x-api-key"] = self.api_key
        if self.cart_token:
            headers["x-cart-token"] = self.cart_token
        return headers

    def execute(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run operation ``name``; its ``data``, or VitrineError."""
        response = self.http.post(
            self.endpoint,
            json={
                "query": load_operation(name),
                "variables": variables or {},
                "operationName": name,
            },
            headers=self.headers(),
        )
        body: dict[str, Any] = response.json()
        if body.get("errors") or body.get("data") is None:
            raise VitrineError(body.get("errors") or [], response.status_code)
        data: dict[str, Any] = body["data"]
        return data


def arguments(description: str) -> argparse.ArgumentParser:
    """The command line every journey script shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--endpoint", default=LOCAL_ENDPOINT, help="the GraphQL endpoint")
    parser.add_argument("--api-key", default=LOCAL_API_KEY, help="the x-api-key value")
    return parser


def euros(money: dict[str, Any]) -> str:
    """'39.00 EUR' from integer minor units."""
    return f"{money['amount'] / 100:.2f} {money['currency']}"
