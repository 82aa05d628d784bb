"""One set of names: every variable the stacks set on the gateway is a Settings field."""

from __future__ import annotations

from typing import Any

import pytest

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
    assert variables == names_env_vars() - {
        EnvVar.API_KEYS,
        EnvVar.CONSUMERS,
        EnvVar.HOST,
        EnvVar.PORT,
    }
    assert function["Environment"]["Variables"][EnvVar.PROFILE] == "production"
    assert function["Environment"]["Variables"][EnvVar.GRAPHIQL] == "false"
    assert function["Environment"]["Variables"][EnvVar.INTROSPECTION] == "false"
    assert function["Environment"]["Variables"][EnvVar.ASSET_CDN_URL] == "https://shop.vitrine.test"


def test_shared_constants_agree_with_the_gateway() -> None:
    from gateway.auth import API_KEY_HEADER as GATEWAY_API_KEY_HEADER

    assert ADMIN_GROUP == SCHEMA_ADMIN_GROUP
    assert API_KEY_HEADER == GATEWAY_API_KEY_HEADER


def test_job_queue_defaults_match_the_gateway_settings() -> None:
    from infra_cdk.constructs.job_queues import MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_SECONDS
    from infra_cdk.names import ORIGIN_VERIFY_HEADER, Names

    defaults = Settings()
    assert defaults.render_max_receive_count == MAX_RECEIVE_COUNT
    assert defaults.render_visibility_timeout_seconds == VISIBILITY_TIMEOUT_SECONDS
    names = Names("prod")
    assert names.render_queue == f"vitrine-prod-{defaults.render_queue.removeprefix('vitrine-')}"
    assert names.render_dead_letter_queue.endswith(
        defaults.render_dead_letter_queue.removeprefix("vitrine")
    )
    from gateway.origin_verify import ORIGIN_VERIFY_HEADER as GATEWAY_HEADER

    assert ORIGIN_VERIFY_HEADER == GATEWAY_HEADER


def test_render_worker_environment_is_made_of_settings_fields(synth: Any) -> None:
    [task] = synth.resources("Render", "AWS::ECS::TaskDefinition").values()
    [container] = task["Properties"]["ContainerDefinitions"]
    variables = {e["Name"] for e in container["Environment"]}
    assert variables - settings_aliases() == set()
    # (CDK sets AWS_REGION on EC2-hosted containers; Settings reads it for the AWS clients)
    assert variables - {"AWS_REGION"} <= names_env_vars()
    # and every name in the names module is used by a container
    [function] = [
        f["Properties"]
        for f in synth.resources("Api", "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "gateway.lambda_http.handler"
    ]
    [indexer] = synth.resources("Events", "AWS::Lambda::Function").values()
    indexer_variables = set(indexer["Properties"]["Environment"]["Variables"])
    assert indexer_variables <= names_env_vars()
    realtime_variables = {
        e["Name"]
        for task in synth.resources("Realtime", "AWS::ECS::TaskDefinition").values()
        for e in task["Properties"]["ContainerDefinitions"][0]["Environment"]
    }
    assert realtime_variables - settings_aliases() == set()
    used = (
        variables
        | indexer_variables
        | realtime_variables
        | set(function["Environment"]["Variables"])
    )
    assert used - {"AWS_REGION"} == names_env_vars()


STAND_INS = {
    EnvVar.DATABASE_URL: "postgresql://vitrine@proxy.example:5432/vitrine",
    EnvVar.REDIS_URL: "rediss://cache.example:6380/0",
    EnvVar.DATABASE_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf",
    EnvVar.REDIS_AUTH_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:r-AbCdEf",
    EnvVar.API_KEYS_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:k-AbCdEf",
    EnvVar.ORIGIN_VERIFY_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:o-AbCdEf",
    EnvVar.STRIPE_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:s-AbCdEf",
    EnvVar.STRIPE_WEBHOOK_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:w-AbCd",
    EnvVar.COGNITO_USER_POOL_ID: "eu-west-1_AbCdEf123",
    EnvVar.COGNITO_APP_CLIENT_IDS: "7471s60os7h0uu77i1tk27sp9n",
}
"""Values of the deploy-time references Settings validates by shape."""


def test_worker_environment_passes_the_production_checks_of_settings(
    synth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the worker's environment as synthesized: literals as they are, references
    # (names, ARNs) replaced by stand-ins
    [task] = synth.resources("Render", "AWS::ECS::TaskDefinition").values()
    [container] = task["Properties"]["ContainerDefinitions"]
    for variable in container["Environment"]:
        name, value = variable["Name"], variable["Value"]
        monkeypatch.setenv(name, value if isinstance(value, str) else STAND_INS.get(name, "x"))
    # when Settings read them
    settings = Settings()
    # then the production profile accepts them and no API key is accepted
    assert settings.profile.value == "production"
    assert settings.api_key_values() == frozenset()
    assert settings.payment_provider.value == "none"


def test_upload_and_model_prefixes_match_the_runtime() -> None:
    from infra_cdk.names import MODELS_PREFIX, UPLOADS_PREFIX
    from render_jobs.ingest.job import DEFAULT_PREFIX
    from resolvers.asset_jobs import UPLOAD_PREFIX

    assert f"{UPLOAD_PREFIX}/" == UPLOADS_PREFIX
    assert f"{DEFAULT_PREFIX}/" == MODELS_PREFIX


def test_gateway_environment_passes_the_production_checks_with_stripe_by_arn(
    synth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the gateway function's environment as synthesized, references as stand-ins
    [function] = [
        f["Properties"]
        for f in synth.resources("Api", "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "gateway.lambda_http.handler"
    ]
    for name, value in function["Environment"]["Variables"].items():
        monkeypatch.setenv(name, value if isinstance(value, str) else STAND_INS.get(name, "x"))
    # when Settings read them (no Stripe key in the environment: it comes by ARN)
    settings = Settings()
    # then production accepts them, with Stripe taking the payments
    assert settings.profile.value == "production"
    assert settings.payment_provider.value == "stripe"
    assert settings.stripe_secret_arn == STAND_INS[EnvVar.STRIPE_SECRET_ARN]
    assert settings.stripe_webhook_secret_arn == STAND_INS[EnvVar.STRIPE_WEBHOOK_SECRET_ARN]
