"""The `vitrine` command as a user runs it: help, the local stack, Ctrl-C leaves nothing."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from datasources.postgres.migrate import current_revision_async, head_revision
from gateway.cli import app
from gateway.local_stack.scratch_databases import scratch_database
from gateway.settings import LOCAL_API_KEY
from tests.support.moto_process import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["seed"],
        ["local", "up"],
        ["schema", "export"],
        ["schema", "check"],
        ["ingest"],
        ["worker"],
        ["consumers"],
        ["migrate"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_consumers_without_redis_say_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = CliRunner().invoke(app, ["consumers"])
    assert result.exit_code == 2
    assert "vitrine consumers needs REDIS_URL" in result.output


def test_schema_check_passes_on_the_committed_contract() -> None:
    result = CliRunner().invoke(app, ["schema", "check"])
    assert result.exit_code == 0, result.output


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_local_answers_then_ctrl_c_stops_everything() -> None:
    # given `vitrine serve --local` on a fresh private PostgreSQL (no DATABASE_URL), run from a
    # directory the `postgres` OS user may traverse (pytest's tmp_path is private to root)
    tmp_path = Path(tempfile.mkdtemp(prefix="vitrine-e2e-"))
    tmp_path.chmod(0o755)
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "AWS_ENDPOINT_URL"}
    }
    env.update(COLUMNS="200", VITRINE_PROFILE="local")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "serve",
                "--local",
                "--no-seed",
                "--port",
                str(port),
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: _port_open(port) or process.poll() is not None, 90, "the API port")
        assert process.poll() is None, log.read_text()
        # when a client asks for the category tree
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ categories { name } }"},
            headers={"x-api-key": LOCAL_API_KEY},
            timeout=10,
        )
        printed = log.read_text()
        moto_port = int(
            re.search(r"AWS endpoint \(moto\)\s+http://127\.0\.0\.1:(\d+)", printed).group(1)
        )  # type: ignore[union-attr]
        pg_port = int(
            re.search(
                r"PostgreSQL\s+postgresql\+asyncpg://postgres(?::\*\*\*)?@127\.0\.0\.1:(\d+)",
                printed,
            ).group(1)
        )  # type: ignore[union-attr]
        assert _port_open(moto_port)
        assert _port_open(pg_port)
    finally:
        # and the user presses Ctrl-C
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    # then it answered, exited cleanly, and nothing it started is left listening
    assert response.status_code == 200
    assert response.json() == {
        "data": {"categories": []},
        "extensions": response.json()["extensions"],
    }
    assert code == 0, log.read_text()
    assert not _port_open(port)
    assert not _port_open(moto_port)
    assert not _port_open(pg_port)
    assert "DB schema revision  0004_stock_adjustments_and_voids" in log.read_text()
    # and the local stack ran an ingest worker inside the gateway
    assert "local_ingest_worker_started" in log.read_text()
    shutil.rmtree(tmp_path, ignore_errors=True)


# -- vitrine migrate: the deploy step that brings the database schema to head ----------------


async def test_migrate_brings_a_fresh_database_to_head(
    shopping_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an empty database
    async with scratch_database(shopping_server_url, "vitrine_migrate", migrated=False) as url:
        before = await current_revision_async(url)
        monkeypatch.setenv("DATABASE_URL", url)
        # when `vitrine migrate` runs (twice: a deploy may retry it)
        first = await asyncio.to_thread(CliRunner().invoke, app, ["migrate"])
        second = await asyncio.to_thread(CliRunner().invoke, app, ["migrate"])
        after = await current_revision_async(url)
    # then the schema is at head, and the second run changed nothing and said so
    assert before is None
    assert (first.exit_code, second.exit_code) == (0, 0), first.output
    assert after == head_revision()
    assert f"Database schema at revision {head_revision()}" in " ".join(second.output.split())


def test_migrate_without_a_database_or_with_a_dead_one_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given no DATABASE_URL, then one where nothing listens
    monkeypatch.delenv("DATABASE_URL", raising=False)
    missing = CliRunner().invoke(app, ["migrate"])
    monkeypatch.setenv("DATABASE_URL", f"postgresql://vitrine@127.0.0.1:{free_port()}/vitrine")
    dead = CliRunner().invoke(app, ["migrate"])
    # then each exits 2 naming the setting
    assert missing.exit_code == 2
    assert "DATABASE_URL is not set" in missing.output
    assert dead.exit_code == 2
    assert "PostgreSQL did not answer" in " ".join(dead.output.split())
