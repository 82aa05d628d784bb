"""Operations: alarms to an SNS topic, the overview dashboard, the CloudTrail trail and the
monthly cost budget."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.config import DeployConfig
from infra_cdk.constructs.audit import AuditTrail, CostBudget
from infra_cdk.constructs.monitoring import AlarmTopic, OverviewDashboard, ServiceAlarms, Watched


class OperationsStack(Stack):
    """What on-call sees and is paged by."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        watched: Watched,
        trail_bucket: s3.IBucket,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        self.topic = AlarmTopic(
            self, "AlarmTopic", topic_name=names.alarm_topic, emails=config.alarm_emails
        )
        self.alarms = ServiceAlarms(
            self, "Alarms", names=names, watched=watched, topic=self.topic.topic
        )
        self.dashboard = OverviewDashboard(
            self,
            "Dashboard",
            dashboard_name=names.dashboard,
            watched=watched,
            alarms=self.alarms,
        )
        self.trail = AuditTrail(self, "Audit", trail_name=names.trail, bucket=trail_bucket)
        self.budget = CostBudget(
            self,
            "Budget",
            budget_name=names.budget,
            monthly_usd=config.monthly_budget_usd,
            topic=self.topic.topic,
            emails=config.alarm_emails,
        )
