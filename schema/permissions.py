"""Permission classes that enforce the auth directives they print."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from resolvers.context import AuthMode, Context
from resolvers.errors import Forbidden, Unauthorized
from schema.directives import AwsApiKey, AwsCognitoUserPools

ADMIN_GROUP = "admin"


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


PUBLIC_READ_DIRECTIVES = [AwsApiKey(), AwsCognitoUserPools()]
ADMIN_DIRECTIVES = [AwsCognitoUserPools(cognito_groups=[ADMIN_GROUP])]


def public_read() -> PermissionExtension:
    """The permission extension of a public catalog read."""
    return PermissionExtension(permissions=[PublicCatalogRead()], use_directives=False)


def merchant_admin() -> PermissionExtension:
    """The permission extension of an admin-only mutation."""
    return PermissionExtension(permissions=[MerchantAdmin()], use_directives=False)
