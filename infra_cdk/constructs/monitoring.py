"""CloudWatch alarms to an SNS topic, and one dashboard of the same signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.names import Names

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)
SERVER_ERROR_RATE_PERCENT = 1.0
P99_LATENCY_MS = 1500
AURORA_CPU_PERCENT = 80
STREAM_LAG_MS = 5 * 60_000


class ApiSignals(Protocol):
    """Traffic, errors and latency of the API, whichever service serves it."""

    def requests(self, period: Duration) -> cloudwatch.IMetric:
        """Requests per period."""
        ...

    def client_errors(self, period: Duration) -> cloudwatch.IMetric:
        """4xx answers per period."""
        ...

    def server_errors(self, period: Duration) -> cloudwatch.IMetric:
        """5xx answers per period."""
        ...

    def latency(self, statistic: str, period: Duration) -> cloudwatch.IMetric:
        """End-to-end latency (ms) at ``statistic`` (p50, p99)."""
        ...


@dataclass(frozen=True)
class HttpApiSignals:
    """An API Gateway HTTP API's metrics (``api_mode=lambda``)."""

    api: apigwv2.IHttpApi

    def requests(self, period: Duration) -> cloudwatch.IMetric:
        """Requests per period."""
        return self.api.metric_count(period=period)

    def client_errors(self, period: Duration) -> cloudwatch.IMetric:
        """4xx answers per period."""
        return self.api.metric_client_error(period=period)

    def server_errors(self, period: Duration) -> cloudwatch.IMetric:
        """5xx answers per period."""
        return self.api.metric_server_error(period=period)

    def latency(self, statistic: str, period: Duration) -> cloudwatch.IMetric:
        """End-to-end latency (ms)."""
        return self.api.metric_latency(statistic=statistic, period=period)


@dataclass(frozen=True)
class AppSyncSignals:
    """An AppSync API's metrics (``api_mode=appsync``): AppSync reports no per-API request
    count, so requests are the sample count of its latency metric."""

    api_id: str

    def _metric(self, name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/AppSync",
            metric_name=name,
            dimensions_map={"GraphQLAPIId": self.api_id},
            statistic=statistic,
            period=period,
        )

    def requests(self, period: Duration) -> cloudwatch.IMetric:
        """Requests per period."""
        return self._metric("Latency", "SampleCount", period)

    def client_errors(self, period: Duration) -> cloudwatch.IMetric:
        """4xx answers per period."""
        return self._metric("4XXError", "Sum", period)

    def server_errors(self, period: Duration) -> cloudwatch.IMetric:
        """5xx answers per period."""
        return self._metric("5XXError", "Sum", period)

    def latency(self, statistic: str, period: Duration) -> cloudwatch.IMetric:
        """End-to-end latency (ms)."""
        return self._metric("Latency", statistic, period)


@dataclass(frozen=True)
class Watched:
    """What the operations stack watches."""

    api: ApiSignals
    function: lambda_.IFunction
    table: dynamodb.ITable
    cluster: rds.IDatabaseCluster
    dead_letter_queue: sqs.IQueue
    """Render/ingest jobs that failed every delivery."""
    analytics_stream: kinesis.IStream | None = None
    stream_indexer: lambda_.IFunction | None = None
    stream_indexer_failures: sqs.IQueue | None = None
    """The stream indexer's on-failure queue."""


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
        budgets_principal = iam.ServicePrincipal("budgets.amazonaws.com")
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsPublish",
                principals=[budgets_principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self, "Topic", topic_name=topic_name, master_key=self.key, enforce_ssl=True
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsPublish",
                principals=[budgets_principal],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
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
        api = watched.api
        requests = api.requests(FIVE_MINUTES)
        server_errors = api.server_errors(FIVE_MINUTES)
        self.server_error_rate = cloudwatch.MathExpression(
            label="5xx %",
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"errors": server_errors, "requests": requests},
            period=FIVE_MINUTES,
        )
        self.p99_latency = api.latency("p99", FIVE_MINUTES)
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
        self.dead_letters = watched.dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=FIVE_MINUTES, statistic="Maximum"
        )
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
            (
                "render-dlq-depth",
                self.dead_letters,
                0,
                1,
                "Render/ingest jobs failed every attempt and wait in the dead-letter queue",
            ),
        ]
        if watched.analytics_stream is not None:
            self.analytics_throttles = (
                watched.analytics_stream.metric_put_records_throttled_records(
                    period=ONE_MINUTE, statistic="Sum"
                )
            )
            specs.append(
                (
                    "analytics-throttles",
                    self.analytics_throttles,
                    0,
                    3,
                    "Kinesis throttles analytics puts (the stream is on-demand: a burst "
                    "above twice the recent peak)",
                )
            )
        if watched.stream_indexer is not None:
            self.stream_lag = watched.stream_indexer.metric(
                "IteratorAge", period=ONE_MINUTE, statistic="Maximum"
            )
            specs.append(
                (
                    "stream-indexer-lag",
                    self.stream_lag,
                    STREAM_LAG_MS,
                    5,
                    f"Search lags the catalog by more than {STREAM_LAG_MS // 60_000} minutes",
                )
            )
            specs.append(
                (
                    "stream-indexer-throttles",
                    watched.stream_indexer.metric_throttles(period=ONE_MINUTE, statistic="Sum"),
                    0,
                    3,
                    "The search indexer function is throttled",
                )
            )
        if watched.stream_indexer_failures is not None:
            specs.append(
                (
                    "stream-indexer-failures",
                    watched.stream_indexer_failures.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum"
                    ),
                    0,
                    1,
                    "Catalog changes the search indexer gave up on (reindex to repair)",
                )
            )
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
        api = watched.api
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
                    api.requests(ONE_MINUTE),
                    api.client_errors(ONE_MINUTE),
                    api.server_errors(ONE_MINUTE),
                ],
                right=[alarms.server_error_rate],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency",
                left=[api.latency("p50", ONE_MINUTE), api.latency("p99", ONE_MINUTE)],
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
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Render jobs in the dead-letter queue", left=[alarms.dead_letters], width=12
            )
        )
