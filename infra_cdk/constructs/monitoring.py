"""CloudWatch alarms to an SNS topic, and one dashboard of the same signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra_cdk.names import Names

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)
SERVER_ERROR_RATE_PERCENT = 1.0
P99_LATENCY_MS = 1500
AURORA_CPU_PERCENT = 80


@dataclass(frozen=True)
class Watched:
    """What the operations stack watches."""

    http_api: apigwv2.IHttpApi
    function: lambda_.IFunction
    table: dynamodb.ITable
    cluster: rds.IDatabaseCluster


class AlarmTopic(Construct):
    """An SNS topic encrypted with its own key (CloudWatch may use it), TLS-only publishing,
    with the given e-mail subscriptions."""

    def __init__(
        self, scope: Construct, construct_id: str, *, topic_name: str, emails: Sequence[str]
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Vitrine alarm notifications",
            enable_key_rotation=True,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self, "Topic", topic_name=topic_name, master_key=self.key, enforce_ssl=True
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


class ServiceAlarms(Construct):
    """5xx rate and p99 latency at the HTTP API, Lambda errors and throttles, DynamoDB
    throttles, Aurora CPU; each notifies the topic when it fires and when it clears."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        watched: Watched,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        api = watched.http_api
        requests = api.metric_count(period=FIVE_MINUTES)
        server_errors = api.metric_server_error(period=FIVE_MINUTES)
        self.server_error_rate = cloudwatch.MathExpression(
            label="5xx %",
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"errors": server_errors, "requests": requests},
            period=FIVE_MINUTES,
        )
        self.p99_latency = api.metric_latency(statistic="p99", period=FIVE_MINUTES)
        function = watched.function
        self.throttles = function.metric_throttles(period=ONE_MINUTE, statistic="Sum")
        self.errors = function.metric_errors(period=ONE_MINUTE, statistic="Sum")
        table = watched.table
        self.dynamodb_throttles = cloudwatch.MathExpression(
            label="DynamoDB throttled requests",
            expression="reads + writes",
            using_metrics={
                "reads": table.metric("ReadThrottleEvents", period=ONE_MINUTE, statistic="Sum"),
                "writes": table.metric("WriteThrottleEvents", period=ONE_MINUTE, statistic="Sum"),
            },
            period=ONE_MINUTE,
        )
        self.aurora_cpu = watched.cluster.metric_cpu_utilization(period=FIVE_MINUTES)
        specs: list[tuple[str, cloudwatch.IMetric, float, int, str]] = [
            (
                "api-5xx-rate",
                self.server_error_rate,
                SERVER_ERROR_RATE_PERCENT,
                3,
                f"More than {SERVER_ERROR_RATE_PERCENT}% of API requests fail with 5xx",
            ),
            (
                "api-p99-latency",
                self.p99_latency,
                P99_LATENCY_MS,
                3,
                f"API p99 latency above {P99_LATENCY_MS} ms",
            ),
            ("gateway-throttles", self.throttles, 0, 3, "The gateway function is throttled"),
            ("gateway-errors", self.errors, 5, 3, "The gateway function raises or times out"),
            (
                "dynamodb-throttles",
                self.dynamodb_throttles,
                0,
                3,
                "DynamoDB throttles catalog reads or writes",
            ),
            (
                "aurora-cpu",
                self.aurora_cpu,
                AURORA_CPU_PERCENT,
                3,
                f"Aurora CPU above {AURORA_CPU_PERCENT}%",
            ),
        ]
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        action = actions.SnsAction(topic)
        for what, metric, threshold, periods, description in specs:
            alarm = cloudwatch.Alarm(
                self,
                what,
                alarm_name=names.alarm(what),
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=min(periods, 2),
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[what] = alarm


class OverviewDashboard(Construct):
    """One dashboard: traffic and errors, latency, the function, data stores, alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        watched: Watched,
        alarms: ServiceAlarms,
    ) -> None:
        super().__init__(scope, construct_id)
        api = watched.http_api
        function = watched.function
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, default_interval=Duration.hours(3)
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=list(alarms.alarms.values()), width=24, height=3
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[
                    api.metric_count(period=ONE_MINUTE),
                    api.metric_client_error(period=ONE_MINUTE),
                    api.metric_server_error(period=ONE_MINUTE),
                ],
                right=[alarms.server_error_rate],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency",
                left=[
                    api.metric_latency(statistic="p50", period=ONE_MINUTE),
                    api.metric_latency(statistic="p99", period=ONE_MINUTE),
                    api.metric_integration_latency(statistic="p99", period=ONE_MINUTE),
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Gateway function",
                left=[
                    function.metric_invocations(period=ONE_MINUTE),
                    alarms.errors,
                    alarms.throttles,
                ],
                right=[function.metric_duration(statistic="p99", period=ONE_MINUTE)],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Data stores",
                left=[alarms.dynamodb_throttles],
                right=[alarms.aurora_cpu],
                width=12,
            ),
        )
