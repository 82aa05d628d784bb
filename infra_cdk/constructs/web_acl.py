"""The WAF web ACL in front of CloudFront (must be created in us-east-1)."""

from __future__ import annotations

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

CLOUDFRONT_SCOPE = "CLOUDFRONT"
BODY_INSPECTION_LIMIT_BYTES = 16 * 1024
"""CloudFront's default WAF body inspection limit; a larger limit costs extra."""


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _managed(
    name: str, priority: int, *, count_rules: tuple[str, ...] = ()
) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule,
                        action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                    )
                    for rule in count_rules
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


class EdgeFirewall(Construct):
    """AWS managed rule groups (common, known bad inputs, IP reputation), a per-IP rate
    limit and a request-body size limit; everything else is allowed."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        rate_limit_per_5_minutes: int,
        max_body_bytes: int,
    ) -> None:
        super().__init__(scope, construct_id)
        if max_body_bytes > BODY_INSPECTION_LIMIT_BYTES:
            raise ValueError(
                f"max_request_body_bytes above {BODY_INSPECTION_LIMIT_BYTES} needs a larger "
                "WAF body inspection limit (association_config)"
            )
        body_too_large = wafv2.CfnWebACL.RuleProperty(
            name="RequestBodyTooLarge",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                        body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                    ),
                    comparison_operator="GT",
                    size=max_body_bytes,
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                    ],
                )
            ),
            visibility_config=_visibility("RequestBodyTooLarge"),
        )
        rate_limit = wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=1,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=rate_limit_per_5_minutes,
                    evaluation_window_sec=300,
                )
            ),
            visibility_config=_visibility("RateLimitPerIp"),
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope=CLOUDFRONT_SCOPE,
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            rules=[
                body_too_large,
                rate_limit,
                _managed("AWSManagedRulesAmazonIpReputationList", 2),
                # GraphQL bodies routinely exceed the group's 8 KB body rule; our own size
                # rule above enforces the limit instead.
                _managed("AWSManagedRulesCommonRuleSet", 3, count_rules=("SizeRestrictions_BODY",)),
                _managed("AWSManagedRulesKnownBadInputsRuleSet", 4),
            ],
        )
