"""X-Ray trace ids: from the ``X-Amzn-Trace-Id`` header, or the Lambda runtime's variable.

API Gateway, the ALB and CloudFront-fronted Lambdas pass ``X-Amzn-Trace-Id:
Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1``; the Lambda
runtime sets the same value in ``_X_AMZN_TRACE_ID`` for each invocation. The gateway puts the
root id in every log line and metric document of the request, so a trace and its logs join.
"""

from __future__ import annotations

import os
import re

TRACE_HEADER = "x-amzn-trace-id"
LAMBDA_TRACE_ENV = "_X_AMZN_TRACE_ID"
_ROOT = re.compile(r"(?:^|;)\s*Root=(1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24})(?:;|$)")
_SELF = re.compile(r"(?:^|;)\s*Self=(1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24})(?:;|$)")


def trace_id_from(header: str | None) -> str | None:
    """The ``Root`` (or, from an ALB, ``Self``) id of a trace header; None when it has none.

    Anything else (a malformed or forged header) is ignored rather than logged verbatim.
    """
    if not header or len(header) > 256:
        return None
    match = _ROOT.search(header) or _SELF.search(header)
    return None if match is None else match.group(1)


def current_trace_id(header: str | None = None) -> str | None:
    """The request's trace id: the header's, else the Lambda invocation's (if any)."""
    return trace_id_from(header) or trace_id_from(os.environ.get(LAMBDA_TRACE_ENV))
