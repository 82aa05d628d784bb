"""HTTP caching of GraphQL GET responses: who may cache a response, for how long, and 304s.

A response is *public* (CloudFront and browsers may keep it) only when every root field of a
query is a catalog read (``PUBLIC_ROOT_FIELDS``), the caller is anonymous or used an API key,
and the result has no errors. Everything else (a signed-in shopper, carts, orders, ``node``,
admin fields, mutations, errors) is ``private, no-store``. The list is an allowlist, so a new
root field is private until someone decides otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

from gateway.auth import API_KEY_HEADER, AUTHORIZATION_HEADER, CART_TOKEN_HEADER
from resolvers.context import AuthMode, Identity

PUBLIC_ROOT_FIELDS = frozenset({"categories", "category", "product", "products", "__typename"})
"""Query fields whose answer is the same for every anonymous or API-key caller."""

VARY = ", ".join(("Accept-Encoding", AUTHORIZATION_HEADER, API_KEY_HEADER, CART_TOKEN_HEADER))
PRIVATE = "private, no-store"
_PUBLIC_MODES = frozenset({AuthMode.NONE, AuthMode.API_KEY})


class Scope(StrEnum):
    """Who may keep a response."""

    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True)
class CacheRules:
    """How long shared caches may keep public responses."""

    max_age_seconds: int
    stale_while_revalidate_seconds: int

    def cache_control(self, scope: Scope) -> str:
        """The ``Cache-Control`` value for a response of ``scope``."""
        if scope is Scope.PRIVATE:
            return PRIVATE
        return (
            f"public, max-age={self.max_age_seconds}, "
            f"stale-while-revalidate={self.stale_while_revalidate_seconds}"
        )


@lru_cache(maxsize=512)
def public_document(document: str, operation_name: str | None) -> bool:
    """Whether the selected operation is a query of public catalog root fields only."""
    try:
        parsed = parse(document, no_location=True)
    except GraphQLError:
        return False
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False
    names = _root_field_names(operations[0].selection_set, fragments, set())
    return names is not None and names <= PUBLIC_ROOT_FIELDS


def _root_field_names(
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> set[str] | None:
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
            continue
        if isinstance(selection, InlineFragmentNode):
            nested = _root_field_names(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                return None
            nested = _root_field_names(fragments[name].selection_set, fragments, {*seen, name})
        else:  # pragma: no cover - graphql-core has no other selection kinds
            return None
        if nested is None:
            return None
        names |= nested
    return names


def response_scope(
    identity: Identity, document: str, operation_name: str | None, has_errors: bool
) -> Scope:
    """Whether a query's response may be kept by shared caches."""
    if has_errors or identity.mode not in _PUBLIC_MODES:
        return Scope.PRIVATE
    return Scope.PUBLIC if public_document(document, operation_name) else Scope.PRIVATE


def entity_tag(body: bytes) -> str:
    """A strong ETag of a response body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, RFC 9110)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))
