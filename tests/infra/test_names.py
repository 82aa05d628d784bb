"""One set of names: every variable the stacks set on the gateway is a Settings field."""

from __future__ import annotations

from typing import Any

from gateway.settings import Settings
from infra_cdk.names import ADMIN_GROUP, API_KEY_HEADER, EnvVar
from schema.permissions import ADMIN_GROUP as SCHEMA_ADMIN_GROUP

LAMBDA_RESERVED = {"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def settings_aliases() -> set[str]:
    """The environment variables Settings reads."""
    aliases = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, str), f"Settings field without a plain alias: {field}"
        aliases.add(alias)
    return aliases


def names_env_vars() -> set[str]:
    return {value for key, value in vars(EnvVar).items() if key.isupper()}


def test_every_name_in_the_names_module_is_a_settings_field() -> None:
    assert names_env_vars() - settings_aliases() == set()


def test_gateway_function_environment_is_made_of_settings_fields(synth: Any) -> None:
    # given the gateway function as synthesized
    [function] = [
        f["Properties"]
        for f in synth.resources("Api", "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "gateway.lambda_http.handler"
    ]
    variables = set(function["Environment"]["Variables"])
    # then every variable is read by Settings, none is one Lambda reserves, and every one
    # comes from the names module
    assert variables - settings_aliases() == set()
    assert variables & LAMBDA_RESERVED == set()
    assert variables == names_env_vars()
    assert function["Environment"]["Variables"][EnvVar.PROFILE] == "production"
    assert function["Environment"]["Variables"][EnvVar.GRAPHIQL] == "false"
    assert function["Environment"]["Variables"][EnvVar.INTROSPECTION] == "false"
    assert function["Environment"]["Variables"][EnvVar.ASSET_CDN_URL] == "https://shop.vitrine.test"


def test_shared_constants_agree_with_the_gateway() -> None:
    from gateway.auth import API_KEY_HEADER as GATEWAY_API_KEY_HEADER

    assert ADMIN_GROUP == SCHEMA_ADMIN_GROUP
    assert API_KEY_HEADER == GATEWAY_API_KEY_HEADER
