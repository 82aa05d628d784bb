"""AppSync auth directives, printed in the exported SDL so it deploys to AppSync as is."""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location

_TARGETS = [Location.OBJECT, Location.FIELD_DEFINITION]


@strawberry.schema_directive(locations=_TARGETS, name="aws_api_key")
class AwsApiKey:
    """The field is open to callers with a valid API key."""


@strawberry.schema_directive(locations=_TARGETS, name="aws_cognito_user_pools")
class AwsCognitoUserPools:
    """The field is open to Cognito users, optionally only to members of some groups."""

    # AppSync spells the argument in snake case; UNSET leaves it out of the printed SDL.
    cognito_groups: list[str] | None = strawberry.directive_field(
        name="cognito_groups", default=strawberry.UNSET
    )


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="aws_subscribe")
class AwsSubscribe:
    """The subscription fires on these mutations (it also fires on worker events)."""

    mutations: list[str]
