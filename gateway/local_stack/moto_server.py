"""moto in server mode on loopback, run in a background thread of this process.

Server mode (not ``mock_aws()``) because aioboto3 fails under the in-process mock. Note that
moto keeps its state in process-wide backends: two ``MotoServer`` instances in one process
share it, and ``reset()`` wipes it for both.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from types import TracebackType

from moto.server import ThreadedMotoServer

from gateway.local_stack.errors import LocalStackError

logger = logging.getLogger(__name__)

_SERVICE = "moto"
# A direct opener: HTTP(S)_PROXY must never capture calls to our own loopback server.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _ThreadedMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer that reports a failed bind instead of blocking start() forever."""

    startup_error: BaseException | None = None

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except BaseException as exc:
            self.startup_error = exc
            self._server_ready_event.set()


class MotoServer:
    """moto's HTTP server on ``host`` (127.0.0.1), on ``port`` or on a free port when None."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        start_timeout: float = 10.0,
        quiet: bool = True,
    ) -> None:
        self._requested_port = port
        self._host = host
        self._start_timeout = start_timeout
        self._quiet = quiet
        self._server: _ThreadedMotoServer | None = None
        self._port: int | None = None

    @property
    def running(self) -> bool:
        """Whether start() succeeded and stop() has not been called since."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._port is None:
            raise LocalStackError(_SERVICE, "the server is not started", "call start() first")
        return self._port

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``AWS_ENDPOINT_URL`` or a client's ``endpoint_url``."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> str:
        """Start the server, wait until ``GET /moto-api/`` answers; return the endpoint URL."""
        if self._server is not None:
            return self.endpoint_url
        if self._quiet:
            werkzeug_logger = logging.getLogger("werkzeug")
            if werkzeug_logger.level == logging.NOTSET:
                # One INFO line per request otherwise; an app that configures it keeps its level.
                werkzeug_logger.setLevel(logging.WARNING)
        server = _ThreadedMotoServer(
            ip_address=self._host, port=self._requested_port or 0, verbose=False
        )
        server.start()
        if server.startup_error is not None:
            raise LocalStackError(
                _SERVICE,
                f"could not listen on {self._host}:{self._requested_port or 0} "
                f"({server.startup_error})",
                "choose another port or leave it unset to take a free one",
            ) from server.startup_error
        self._server = server
        self._port = server.get_host_and_port()[1]
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        logger.info("moto server listening on %s", self.endpoint_url)
        return self.endpoint_url

    def stop(self) -> None:
        """Stop the server and close its socket; a no-op when it is not running."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        logger.info("moto server on port %s stopped", self._port)

    def reset(self) -> None:
        """Wipe all moto state (tables, buckets, queues, ...) with ``POST /moto-api/reset``."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        try:
            with _OPENER.open(request, timeout=10) as response:
                status = response.status
        except (OSError, urllib.error.URLError) as exc:
            raise LocalStackError(
                _SERVICE, f"reset failed at {self.endpoint_url} ({exc})", "is it still running?"
            ) from exc
        if status != 200:
            raise LocalStackError(_SERVICE, f"reset answered HTTP {status}")

    def _wait_until_ready(self) -> None:
        url = f"{self.endpoint_url}/moto-api/"
        deadline = time.monotonic() + self._start_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with _OPENER.open(url, timeout=2) as response:
                    if response.status == 200:
                        return
                    last_error = RuntimeError(f"HTTP {response.status}")
            except (OSError, urllib.error.URLError) as exc:
                last_error = exc
            time.sleep(0.05)
        raise LocalStackError(
            _SERVICE,
            f"no answer from {url} within {self._start_timeout:g} s ({last_error})",
            "check that nothing intercepts loopback traffic",
        )

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
