"""CloudWatch embedded metric format (EMF): metrics written as JSON log lines.

CloudWatch Logs turns every log line with an ``_aws.CloudWatchMetrics`` member into metrics
(the EMF specification, AmazonCloudWatch/latest/monitoring/
CloudWatch_Embedded_Metric_Format_Specification.html). On Lambda stdout goes to CloudWatch
Logs, so a line is a published metric: no API call, no agent, nothing on the request's path
but a ``write``.

Per GraphQL operation (``VITRINE_METRICS=true``), in namespace ``VITRINE_METRICS_NAMESPACE``:

- ``Requests`` (Count), ``Latency`` (Milliseconds), ``Errors`` (Count) and ``DataSourceCalls``
  (Count) with dimensions ``Service, Operation`` and ``Service``;
- ``Errors`` by ``Service, ErrorType`` (one line per errorType in the response);
- ``DataSourceCalls`` by ``Service, Operation, DataSource`` (``dynamodb.Query``, ...).

``Operation`` is ``<type>.<first root field>`` (``query.products``), not the client's operation
name: a dimension value is a billed custom metric, and root fields are bounded by the schema
while names are whatever a client sends. The name goes into the line as a property, with the
request and trace ids, for CloudWatch Logs Insights.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
import structlog
from graphql import FieldNode, GraphQLSchema, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from datasources.instrumentation import call_log

Unit = Literal["Count", "Milliseconds"]
Write = Callable[[str], None]
INVALID_OPERATION = "invalid"
"""``Operation`` of requests that never reached a known root field (syntax, validation)."""
MAX_PROPERTY_CHARS = 128


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Metric:
    """One metric value of a document."""

    name: str
    value: float
    unit: Unit


def emf_document(
    namespace: str,
    dimensions: Mapping[str, str],
    dimension_sets: Sequence[Sequence[str]],
    metrics: Sequence[Metric],
    properties: Mapping[str, Any],
    timestamp_ms: int,
) -> dict[str, Any]:
    """An EMF document: the ``_aws`` metadata, dimension and metric values at the root."""
    for names in dimension_sets:
        missing = set(names) - set(dimensions)
        if missing:
            raise ValueError(f"dimension set names undefined dimensions {sorted(missing)}")
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(names) for names in dimension_sets],
                    "Metrics": [{"Name": m.name, "Unit": m.unit} for m in metrics],
                }
            ],
        },
        **{k: v for k, v in properties.items() if v is not None},
        **dimensions,
    }
    for metric in metrics:
        document[metric.name] = metric.value
    return document


@dataclass(frozen=True)
class OperationRecord:
    """What one GraphQL operation did, as the metrics report it."""

    operation: str
    latency_ms: float
    error_types: Counter[str] = field(default_factory=Counter)
    data_source_calls: Mapping[str, int] = field(default_factory=dict)
    operation_name: str | None = None
    request_id: str | None = None
    trace_id: str | None = None


class EmfWriter:
    """Writes the EMF lines of operations (stdout unless ``write`` is given)."""

    def __init__(
        self,
        namespace: str,
        service: str,
        write: Write = _stdout,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.namespace = namespace
        self.service = service
        self._write = write
        self._clock = clock

    def documents(self, record: OperationRecord) -> list[dict[str, Any]]:
        """The EMF documents of one operation."""
        now = int(self._clock() * 1000)
        properties = {
            "operationName": _short(record.operation_name),
            "requestId": _short(record.request_id),
            "traceId": _short(record.trace_id),
        }
        service = {"Service": self.service}
        operation = {**service, "Operation": record.operation}
        errors = sum(record.error_types.values())
        calls = sum(record.data_source_calls.values())
        documents = [
            emf_document(
                self.namespace,
                operation,
                [["Service", "Operation"], ["Service"]],
                [
                    Metric("Requests", 1, "Count"),
                    Metric("Latency", round(record.latency_ms, 3), "Milliseconds"),
                    Metric("Errors", errors, "Count"),
                    Metric("DataSourceCalls", calls, "Count"),
                ],
                properties,
                now,
            )
        ]
        for error_type, count in sorted(record.error_types.items()):
            documents.append(
                emf_document(
                    self.namespace,
                    {**service, "ErrorType": error_type},
                    [["Service", "ErrorType"]],
                    [Metric("Errors", count, "Count")],
                    properties,
                    now,
                )
            )
        for source, count in sorted(record.data_source_calls.items()):
            documents.append(
                emf_document(
                    self.namespace,
                    {**operation, "DataSource": source},
                    [["Service", "Operation", "DataSource"]],
                    [Metric("DataSourceCalls", count, "Count")],
                    properties,
                    now,
                )
            )
        return documents

    def operation(self, record: OperationRecord) -> None:
        """Write the operation's documents, one JSON line each."""
        for document in self.documents(record):
            self._write(orjson.dumps(document).decode())


def _short(value: str | None) -> str | None:
    return None if value is None else value[:MAX_PROPERTY_CHARS]


def operation_dimension(
    schema: GraphQLSchema, document: Any, operation_name: str | None
) -> tuple[str, str | None]:
    """``(<type>.<first root field>, the operation's own name)``; ``invalid`` when the
    document has no such operation or its first root field is not in the schema."""
    if document is None:
        return INVALID_OPERATION, operation_name
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name is not None and o.name.value == operation_name)
        ),
        None,
    )
    if chosen is None:
        return INVALID_OPERATION, operation_name
    kind = chosen.operation.value
    root = schema.get_root_type(chosen.operation)
    first = next((s for s in chosen.selection_set.selections if isinstance(s, FieldNode)), None)
    if root is None or first is None or first.name.value not in root.fields:
        return INVALID_OPERATION, operation_name
    name = chosen.name.value if chosen.name is not None else operation_name
    return f"{kind}.{first.name.value}", name


class EmfMetrics(SchemaExtension):
    """Times each operation, counts its data-source calls and errors, and writes its EMF.

    List it first among the schema extensions: its teardown then runs last and sees the
    errors already in AppSync's shape (``extensions.errorType``).
    """

    def __init__(self, writer: EmfWriter) -> None:
        self._writer = writer

    def on_operation(self) -> Iterator[None]:
        """Measure around the whole operation (parsing and validation included)."""
        started = time.perf_counter()
        with call_log() as calls:
            yield
        latency_ms = (time.perf_counter() - started) * 1000
        context = self.execution_context
        result = context.result
        error_types: Counter[str] = Counter()
        for error in (result.errors or []) if result is not None else []:
            extensions = error.extensions or {}
            error_types[str(extensions.get("errorType", "InternalFailure"))] += 1
        operation, name = operation_dimension(
            context.schema._schema, context.graphql_document, context.operation_name
        )
        bound = structlog.contextvars.get_contextvars()
        self._writer.operation(
            OperationRecord(
                operation=operation,
                latency_ms=latency_ms,
                error_types=error_types,
                data_source_calls=dict(calls.calls),
                operation_name=name,
                request_id=bound.get("request_id"),
                trace_id=bound.get("trace_id"),
            )
        )
