"""cdk-nag's AwsSolutions checks and justified acknowledgements (cdk-nag 3.x API).

cdk-nag 3 runs as a CDK policy-validation plugin: synthesis fails with a report
(``validation-report.json``) when a rule is violated and not acknowledged. Every
acknowledgement names the finding and says why it is acceptable.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 30


def add_aws_solutions_checks(app: App) -> None:
    """Run the AwsSolutions rule pack when ``app`` synthesizes."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge finding ``rule_id`` (e.g. ``AwsSolutions-IAM5[Resource::*]``) on ``scope``
    and everything below it, for ``reason``."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule_id} needs a real justification, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
