"""A CloudFront distribution on the moto server, and reading back its invalidations."""

from __future__ import annotations

import uuid
from typing import Any

import boto3


def cloudfront_client(endpoint_url: str) -> Any:
    """A boto3 CloudFront client of the moto server."""
    return boto3.client(
        "cloudfront",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_distribution(endpoint_url: str) -> str:
    """A new distribution in front of a made-up gateway origin; its id."""
    reference = uuid.uuid4().hex
    response = cloudfront_client(endpoint_url).create_distribution(
        DistributionConfig={
            "CallerReference": reference,
            "Comment": "vitrine tests",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "gateway",
                        "DomainName": "gateway.example.com",
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "gateway",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "none"}},
            },
        }
    )
    distribution_id: str = response["Distribution"]["Id"]
    return distribution_id


def invalidation_paths(endpoint_url: str, distribution_id: str) -> list[list[str]]:
    """The paths of each invalidation of the distribution."""
    client = cloudfront_client(endpoint_url)
    listed = client.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    found = []
    for summary in listed.get("Items", []):
        detail = client.get_invalidation(DistributionId=distribution_id, Id=summary["Id"])
        found.append(detail["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", []))
    return found
