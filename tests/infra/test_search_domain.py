"""OpenSearch: the Multi-AZ domain in the VPC with fine-grained access control, and the
role mappings that let the gateway and the indexer in (and nothing else)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

pytest.importorskip("aws_cdk", reason="the CDK extra is not installed: pip install -e .[infra]")

DOMAIN_ARN = "arn:aws:es:eu-west-1:111122223333:domain/vitrine-test-search"


def _logical_id(synth: Synthesized, stack: str, resource_type: str, prefix: str) -> str:
    [found] = [k for k in synth.resources(stack, resource_type) if k.startswith(prefix)]
    return found


def test_the_domain_is_multi_az_encrypted_https_only_and_logged(synth: Synthesized) -> None:
    domain = synth.only("Data", "AWS::OpenSearchService::Domain")
    assert domain["DomainName"] == "vitrine-test-search"
    cluster = domain["ClusterConfig"]
    assert cluster["ZoneAwarenessEnabled"] is True
    assert cluster["ZoneAwarenessConfig"] == {"AvailabilityZoneCount": 2}
    assert cluster["InstanceCount"] == 2
    assert (cluster["DedicatedMasterEnabled"], cluster["DedicatedMasterCount"]) == (True, 3)
    assert domain["EncryptionAtRestOptions"]["Enabled"] is True
    assert "DataKey" in json.dumps(domain["EncryptionAtRestOptions"]["KmsKeyId"])
    assert domain["NodeToNodeEncryptionOptions"] == {"Enabled": True}
    assert domain["DomainEndpointOptions"] == {
        "EnforceHTTPS": True,
        "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07",
    }
    assert set(domain["LogPublishingOptions"]) == {
        "SEARCH_SLOW_LOGS",
        "INDEX_SLOW_LOGS",
        "ES_APPLICATION_LOGS",
        "AUDIT_LOGS",
    }
    assert all(o["Enabled"] for o in domain["LogPublishingOptions"].values())
    subnets = json.dumps(domain["VPCOptions"]["SubnetIds"])
    assert subnets.count("dataSubnet") == 2


def test_fine_grained_access_control_has_the_access_function_as_master_user(
    synth: Synthesized,
) -> None:
    domain = synth.only("Data", "AWS::OpenSearchService::Domain")
    security = domain["AdvancedSecurityOptions"]
    assert security["Enabled"] is True
    assert security["InternalUserDatabaseEnabled"] is False
    role = _logical_id(synth, "Data", "AWS::IAM::Role", "SearchAccessRole")
    assert security["MasterUserOptions"]["MasterUserARN"] == {"Fn::GetAtt": [role, "Arn"]}
    [statement] = domain["AccessPolicies"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Resource"] == f"{DOMAIN_ARN}/*"
    assert all(action.startswith("es:ESHttp") for action in statement["Action"])
    function = next(
        f["Properties"]
        for f in synth.resources("Data", "AWS::Lambda::Function").values()
        if f["Properties"].get("FunctionName") == "vitrine-test-search-access"
    )
    assert function["Handler"] == "gateway.lambda_search_access.handler"


def test_only_the_gateway_security_group_reaches_the_domain_on_https(synth: Synthesized) -> None:
    group = _logical_id(synth, "Data", "AWS::EC2::SecurityGroup", "SearchSecurityGroup")
    ingress = synth.resources("Data", "AWS::EC2::SecurityGroup")[group]["Properties"]
    rules = ingress.get("SecurityGroupIngress", [])
    rules += [
        r["Properties"]
        for r in synth.resources("Data", "AWS::EC2::SecurityGroupIngress").values()
        if json.dumps(r["Properties"]["GroupId"]).count(group)
    ]
    assert rules
    for rule in rules:
        assert (rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) == (443, 443, "tcp")
        assert "SourceSecurityGroupId" in rule
        assert "CidrIp" not in rule


@pytest.mark.parametrize(
    ("stack", "opensearch_role"), [("Api", "vitrine_gateway"), ("Events", "vitrine_indexer")]
)
def test_the_gateway_and_indexer_roles_are_mapped_and_may_call_the_domain_only(
    synth: Synthesized, stack: str, opensearch_role: str
) -> None:
    [mapping] = synth.resources(stack, "Custom::OpenSearchRoleMapping").values()
    properties: dict[str, Any] = mapping["Properties"]
    assert properties["RoleName"] == opensearch_role
    assert properties["IndexPattern"] == "products*"
    assert "SearchAccessFunction" in json.dumps(properties["ServiceToken"])
    assert "DomainEndpoint" in json.dumps(properties["Endpoint"])
    [function] = synth.resources(stack, "AWS::Lambda::Function").values()
    role_ref = function["Properties"]["Role"]
    assert properties["BackendRole"] == role_ref
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for k, p in synth.resources(stack, "AWS::IAM::Policy").items()
        if k.startswith("SearchAccessHttp")
    ]
    [statement] = policy["Statement"]
    assert statement["Resource"] == [DOMAIN_ARN, f"{DOMAIN_ARN}/*"]
    assert all(action.startswith("es:ESHttp") for action in statement["Action"])
