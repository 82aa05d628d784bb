"""Embedded local stack: moto in server mode and a private PostgreSQL cluster.

``LocalStack`` starts what the gateway needs on loopback so that ``make run`` works on a
fresh machine with no AWS account; each piece is also usable on its own in tests.
"""

from gateway.local_stack.errors import LocalStackError
from gateway.local_stack.moto_server import MotoServer
from gateway.local_stack.postgres import PrivatePostgres
from gateway.local_stack.stack import LocalEndpoints, LocalStack

__all__ = ["LocalEndpoints", "LocalStack", "LocalStackError", "MotoServer", "PrivatePostgres"]
