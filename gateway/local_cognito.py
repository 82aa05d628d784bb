"""The local stack's Cognito: a user pool in moto with a demo shopper and a demo merchant admin.

moto's Cognito signs real RS256 tokens and serves the pool's JWKS at
``<endpoint>/<pool id>/.well-known/jwks.json``, but its tokens carry the real AWS issuer
``https://cognito-idp.<region>.amazonaws.com/<pool id>``: so the gateway is given the issuer
and the JWKS URL as two settings (``environment()``).

``sign_in`` (InitiateAuth with USER_PASSWORD_AUTH) works against any pool whose app client
allows that flow, local or on AWS; ``vitrine token`` uses it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from resolvers.context import ADMIN_GROUP

POOL_NAME = "vitrine-local"
APP_CLIENT_NAME = "vitrine-storefront"
SHOPPER_GROUP = "shopper"
STATE_FILE = "local-stack.json"


class CognitoSetupError(RuntimeError):
    """The demo pool could not be created, or a sign-in failed."""


@dataclass(frozen=True)
class DemoUser:
    """A demo account of the local pool; the passwords are for the local stack only."""

    role: str
    username: str
    password: str
    groups: tuple[str, ...]


DEMO_USERS = (
    DemoUser("shopper", "shopper@vitrine.local", "Vitrine-Shopper-1", (SHOPPER_GROUP,)),
    DemoUser("admin", "admin@vitrine.local", "Vitrine-Admin-1", (ADMIN_GROUP,)),
)


def demo_user(role: str) -> DemoUser:
    """The demo user playing ``role`` (``shopper`` or ``admin``)."""
    for user in DEMO_USERS:
        if user.role == role:
            return user
    raise KeyError(role)


@dataclass(frozen=True)
class LocalCognito:
    """Where the local user pool is."""

    endpoint_url: str
    region: str
    user_pool_id: str
    app_client_id: str

    @property
    def issuer(self) -> str:
        """The ``iss`` of the pool's tokens (moto uses the real AWS form)."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        """Where moto serves the pool's signing keys."""
        return f"{self.endpoint_url}/{self.user_pool_id}/.well-known/jwks.json"

    def environment(self) -> dict[str, str]:
        """The settings that make the gateway verify this pool's tokens."""
        return {
            "COGNITO_USER_POOL_ID": self.user_pool_id,
            "COGNITO_APP_CLIENT_IDS": self.app_client_id,
            "COGNITO_ISSUER": self.issuer,
            "COGNITO_JWKS_URL": self.jwks_url,
        }

    def write_state(self, directory: Path) -> Path:
        """Record the pool in ``directory``, where ``vitrine token`` finds it from another shell."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / STATE_FILE
        path.write_text(json.dumps({"cognito": asdict(self)}, indent=2) + "\n")
        return path

    @classmethod
    def read_state(cls, directory: Path) -> LocalCognito | None:
        """The pool a running local stack recorded in ``directory``, if any."""
        try:
            data = json.loads((directory / STATE_FILE).read_text())
            return cls(**data["cognito"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @staticmethod
    def remove_state(directory: Path, expected: LocalCognito) -> None:
        """Remove the record, unless another local stack has replaced it since."""
        if LocalCognito.read_state(directory) == expected:
            with contextlib.suppress(OSError):
                (directory / STATE_FILE).unlink(missing_ok=True)


def _client(endpoint_url: str | None, region: str, credentials: dict[str, str] | None) -> Any:
    keys = credentials or {}
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=keys.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=keys.get("AWS_SECRET_ACCESS_KEY"),
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )


def create_demo_pool(
    endpoint_url: str,
    region: str = "us-east-1",
    *,
    credentials: dict[str, str] | None = None,
    pool_name: str = POOL_NAME,
    users: tuple[DemoUser, ...] = DEMO_USERS,
) -> LocalCognito:
    """A user pool (email as username) with an app client allowing USER_PASSWORD_AUTH, the
    ``admin`` and ``shopper`` groups and ``users`` with permanent passwords."""
    cognito = _client(endpoint_url, region, credentials)
    try:
        pool = cognito.create_user_pool(
            PoolName=pool_name,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
        )["UserPool"]
        pool_id: str = pool["Id"]
        client_id: str = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=APP_CLIENT_NAME,
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        for group, description in (
            (ADMIN_GROUP, "Merchant admins: may change the catalog"),
            (SHOPPER_GROUP, "Shoppers"),
        ):
            cognito.create_group(UserPoolId=pool_id, GroupName=group, Description=description)
        for user in users:
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=user.username,
                UserAttributes=[
                    {"Name": "email", "Value": user.username},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
            cognito.admin_set_user_password(
                UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
            )
            for group in user.groups:
                cognito.admin_add_user_to_group(
                    UserPoolId=pool_id, Username=user.username, GroupName=group
                )
    except (BotoCoreError, ClientError) as error:
        raise CognitoSetupError(
            f"could not create the local Cognito user pool at {endpoint_url} ({error})"
        ) from error
    return LocalCognito(
        endpoint_url=endpoint_url, region=region, user_pool_id=pool_id, app_client_id=client_id
    )


@dataclass(frozen=True)
class Tokens:
    """What a sign-in returns."""

    id_token: str
    access_token: str
    expires_in: int


def sign_in(
    *,
    client_id: str,
    username: str,
    password: str,
    region: str,
    endpoint_url: str | None = None,
    credentials: dict[str, str] | None = None,
) -> Tokens:
    """InitiateAuth (USER_PASSWORD_AUTH) against a user pool's app client."""
    cognito = _client(endpoint_url, region, credentials)
    try:
        answer = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except (BotoCoreError, ClientError) as error:
        raise CognitoSetupError(f"sign-in of {username} failed ({error})") from error
    result = answer.get("AuthenticationResult")
    if result is None:
        challenge = answer.get("ChallengeName", "an unknown challenge")
        raise CognitoSetupError(f"sign-in of {username} asks for {challenge}, not supported here")
    return Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        expires_in=int(result.get("ExpiresIn", 0)),
    )


def state_directory() -> Path:
    """``.vitrine`` under the current directory, next to the private PostgreSQL cluster."""
    return Path(os.getcwd()) / ".vitrine"
