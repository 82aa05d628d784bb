"""Deployment settings from CDK context, and the Lambda bundle's requirements (no synth)."""

from __future__ import annotations

import pytest

from infra_cdk.bundle import EXCLUDED_DISTRIBUTIONS, distribution_name, lambda_requirements
from infra_cdk.config import ApiMode, ConfigError, DeployConfig


def test_defaults_work_offline_with_dummy_account() -> None:
    config = DeployConfig.from_context({})
    assert config.account == "123456789012"
    assert config.region == "eu-west-1"
    assert config.availability_zones == ("eu-west-1a", "eu-west-1b")
    assert config.api_mode is ApiMode.LAMBDA
    assert config.hosted_ui_domain_prefix is None
    assert config.cors_origins == ("https://vitrine.example.com",)
    assert config.names.catalog_table == "vitrine-prod-catalog"


def test_context_strings_are_parsed() -> None:
    config = DeployConfig.from_context(
        {
            "region": "us-west-2",
            "availability_zones": "us-west-2a,us-west-2c",
            "alarm_emails": '["a@x.test", "b@x.test"]',
            "rate_limit_per_5_minutes": "500",
            "stage": "staging",
            "render_instance_types": "g6.2xlarge, g5.2xlarge",
            "render_max_instances": "10",
            "render_image_tag": "abc123",
        }
    )
    assert config.render_instance_types == ("g6.2xlarge", "g5.2xlarge")
    assert (config.render_max_instances, config.render_image_tag) == (10, "abc123")
    assert config.availability_zones == ("us-west-2a", "us-west-2c")
    assert config.alarm_emails == ("a@x.test", "b@x.test")
    assert config.rate_limit_per_5_minutes == 500
    assert config.names.stack("data") == "vitrine-staging-data"


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"api_mode": "graphql"}, "api_mode"),
        ({"availability_zones": "eu-west-1a"}, "two zones"),
        ({"hosted_zone_id": "Z1"}, "hosted_zone_name"),
        ({"stage": "Prod!"}, "stage"),
        ({"rate_limit_per_5_minutes": "many"}, "integer"),
        ({"render_instance_types": "g5.xlarge,m5.large"}, "'m5.large' is not a GPU instance"),
        ({"render_max_instances": "0"}, "at least 1"),
        ({"opensearch_url": "http://search.internal"}, "https://"),
        ({"monthly_budget_usd": "0"}, "positive amount"),
    ],
)
def test_bad_context_is_refused(context: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DeployConfig.from_context(context)


def test_lambda_bundle_leaves_out_local_and_render_packages() -> None:
    requirements = lambda_requirements()
    names = {distribution_name(r) for r in requirements}
    assert names & set(EXCLUDED_DISTRIBUTIONS) == set()
    assert {"mangum", "strawberry-graphql", "fastapi", "pynamodb", "aioboto3"} <= names
    assert all("==" in r for r in requirements)
    assert distribution_name("uvicorn[standard]==0.54.0") == "uvicorn"
