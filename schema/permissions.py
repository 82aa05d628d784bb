"""Permission classes that enforce the auth directives they print."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from resolvers.context import ADMIN_GROUP, AuthMode, Context
from resolvers.errors import Forbidden, Unauthorized
from schema.directives import AwsApiKey, AwsCognitoUserPools


class PublicCatalogRead(BasePermission):
    """An API key (storefronts) or any signed-in Cognito user may read."""

    message = "A valid x-api-key header or Cognito token is required"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """Allow API-key and Cognito callers; reject anonymous ones."""
        context: Context = info.context
        if context.identity.mode is AuthMode.NONE:
            raise Unauthorized(self.message)
        return True


class MerchantAdmin(BasePermission):
    """Only Cognito users in the admin group may change the catalog."""

    message = "Only merchant admins may do this"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """Allow Cognito users of the admin group."""
        identity = info.context.identity
        if identity.mode is not AuthMode.AMAZON_COGNITO_USER_POOLS:
            raise Unauthorized("A Cognito token of a merchant admin is required")
        if ADMIN_GROUP not in identity.groups:
            raise Forbidden(self.message)
        return True


class SignedInShopper(BasePermission):
    """Any signed-in Cognito user (orders, checkout, merging a cart at sign-in)."""

    message = "Sign in: a Cognito token is required"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """Allow Cognito users; reject API-key and anonymous callers."""
        context: Context = info.context
        if context.identity.mode is not AuthMode.AMAZON_COGNITO_USER_POOLS:
            raise Unauthorized(self.message)
        return True


PUBLIC_READ_DIRECTIVES = [AwsApiKey(), AwsCognitoUserPools()]
STOREFRONT_DIRECTIVES = PUBLIC_READ_DIRECTIVES
"""Carts: a storefront's API key (anonymous cart and its token) or a signed-in shopper."""
SHOPPER_DIRECTIVES = [AwsCognitoUserPools()]
ADMIN_DIRECTIVES = [AwsCognitoUserPools(cognito_groups=[ADMIN_GROUP])]


def public_read() -> PermissionExtension:
    """The permission extension of a public catalog read."""
    return PermissionExtension(permissions=[PublicCatalogRead()], use_directives=False)


def storefront() -> PermissionExtension:
    """The permission extension of a cart field: API key or Cognito."""
    return PermissionExtension(permissions=[PublicCatalogRead()], use_directives=False)


def signed_in() -> PermissionExtension:
    """The permission extension of a field for signed-in shoppers."""
    return PermissionExtension(permissions=[SignedInShopper()], use_directives=False)


def merchant_admin() -> PermissionExtension:
    """The permission extension of an admin-only mutation."""
    return PermissionExtension(permissions=[MerchantAdmin()], use_directives=False)
