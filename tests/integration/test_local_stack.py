"""The embedded local stack against real processes: moto server mode and PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib.machinery
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import types
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import boto3
import pytest

from gateway.local_stack import (
    LocalEndpoints,
    LocalStack,
    LocalStackError,
    MotoServer,
    PrivatePostgres,
)
from gateway.local_stack import postgres as local_postgres

pytestmark = pytest.mark.integration

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
KEY = "testing"


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _plain(url: str) -> str:
    """asyncpg.connect wants postgresql://, not SQLAlchemy's postgresql+asyncpg://."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
def pg_base_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: its parents are 0700, and as root the cluster runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="vitrine-test-pg-"))
    base.chmod(0o755)
    yield base
    _kill_leftover_server(base / "data")
    shutil.rmtree(base, ignore_errors=True)


def _kill_leftover_server(data_dir: Path) -> None:
    """After a failed test: stop (immediate mode) a server still running on ``data_dir``."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        if Path(os.readlink(f"/proc/{pid}/cwd")) == data_dir.resolve():
            os.kill(pid, signal.SIGQUIT)
    except (OSError, ValueError):
        pass


def test_moto_server_serves_dynamodb_s3_sqs_and_reset_wipes_them():
    # given a running moto server
    server = MotoServer()
    server.start()
    try:
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=server.endpoint_url,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=KEY,
        )
        s3 = boto3.client(
            "s3",
            endpoint_url=server.endpoint_url,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=KEY,
        )
        sqs = boto3.client(
            "sqs",
            endpoint_url=server.endpoint_url,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=KEY,
        )
        suffix = uuid.uuid4().hex[:8]

        # when a table, a bucket and a queue are created through it
        dynamodb.create_table(
            TableName=f"catalog-{suffix}",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        s3.create_bucket(Bucket=f"assets-{suffix}")
        queue_url = sqs.create_queue(QueueName=f"render-{suffix}")["QueueUrl"]

        # then they exist
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        assert dynamodb.list_tables()["TableNames"] == [f"catalog-{suffix}"]
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [f"assets-{suffix}"]
        assert sqs.list_queues()["QueueUrls"] == [queue_url]

        # when the server is reset
        server.reset()

        # then all three are gone
        assert dynamodb.list_tables()["TableNames"] == []
        assert s3.list_buckets()["Buckets"] == []
        assert sqs.list_queues().get("QueueUrls", []) == []
    finally:
        server.stop()

    # and after stop() the port is closed
    assert server.running is False
    assert _port_open(server.port) is False


def test_moto_server_on_a_taken_port_raises_instead_of_hanging():
    # given a port something else listens on
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        # when moto is asked to use it
        with pytest.raises(LocalStackError) as raised:
            MotoServer(port).start()

    # then the error names the service and the port
    assert raised.value.service == "moto"
    assert f"127.0.0.1:{port}" in str(raised.value)
    assert "choose another port" in str(raised.value)


async def test_private_postgres_starts_accepts_connections_and_stops_cleanly(pg_base_dir):
    # given a private cluster on a fresh directory
    postgres = PrivatePostgres(pg_base_dir)

    # when it starts
    url = postgres.start()
    try:
        port = postgres.port
        assert port is not None
        # then it serves the vitrine database on loopback
        assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{port}/vitrine"
        connection = await asyncpg.connect(_plain(url))
        try:
            assert await connection.fetchval("SELECT 1") == 1
            assert await connection.fetchval("SELECT current_database()") == "vitrine"
            assert await connection.fetchval("SHOW listen_addresses") == "127.0.0.1"
        finally:
            await connection.close()
    finally:
        # when it stops
        postgres.stop()

    # then no server is left: the port is closed and there is no postmaster.pid
    assert _port_open(port) is False
    assert (pg_base_dir / "data" / "PG_VERSION").read_text().strip().isdigit()
    assert (pg_base_dir / "data" / "postmaster.pid").exists() is False


async def test_private_postgres_reuses_its_data_and_ignores_a_stale_pid_file(pg_base_dir):
    # given a cluster that stored a row, was stopped, and then left a stale postmaster.pid
    # whose pid now belongs to some other live process (this test's own)
    with PrivatePostgres(pg_base_dir) as first:
        connection = await asyncpg.connect(_plain(first.database_url))
        await connection.execute("CREATE TABLE marker (value text)")
        await connection.execute("INSERT INTO marker VALUES ('kept')")
        await connection.close()
    pid_file = pg_base_dir / "data" / "postmaster.pid"
    pid_file.write_text(f"{os.getpid()}\n{pg_base_dir / 'data'}\n")

    # when a new instance starts on the same directory
    with PrivatePostgres(pg_base_dir) as second:
        connection = await asyncpg.connect(_plain(second.database_url))
        try:
            # then it started (not blocked by the pid file) and kept the data
            assert await connection.fetchval("SELECT value FROM marker") == "kept"
        finally:
            await connection.close()
    assert pid_file.exists() is False


async def test_private_postgres_replaces_the_server_a_killed_run_left_behind(pg_base_dir):
    # given a process that started a cluster and was killed without stopping it
    script = (
        "import sys, time\n"
        "from gateway.local_stack import PrivatePostgres\n"
        "postgres = PrivatePostgres(sys.argv[1])\n"
        "postgres.start()\n"
        "print(postgres.port, flush=True)\n"
        "time.sleep(120)\n"
    )
    owner = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, str(pg_base_dir), cwd=PROJECT_ROOT, stdout=subprocess.PIPE
    )
    assert owner.stdout is not None
    orphan_port = int(await asyncio.wait_for(owner.stdout.readline(), timeout=60))
    owner.send_signal(signal.SIGKILL)
    await asyncio.wait_for(owner.wait(), timeout=10)
    assert _port_open(orphan_port) is True  # the orphaned server still runs

    # when a new instance starts on the same directory
    with PrivatePostgres(pg_base_dir) as postgres:
        connection = await asyncpg.connect(_plain(postgres.database_url))
        try:
            # then the orphan was stopped and the new server answers
            assert await connection.fetchval("SELECT 1") == 1
        finally:
            await connection.close()
        assert _port_open(orphan_port) is False
    assert (pg_base_dir / "data" / "postmaster.pid").exists() is False


def test_private_postgres_refuses_a_directory_another_stack_is_using(pg_base_dir):
    # given a cluster running on a directory
    with PrivatePostgres(pg_base_dir) as running:
        # when a second instance is started on the same directory
        with pytest.raises(LocalStackError) as raised:
            PrivatePostgres(pg_base_dir).start()

        # then it says so, and the first one keeps running
        assert "in use by another running local stack" in str(raised.value)
        assert running.port is not None
        assert _port_open(running.port) is True


def test_private_postgres_names_the_missing_binaries_of_a_bad_bin_dir(pg_base_dir):
    # given a binary directory with no PostgreSQL in it
    bad_bin_dir = pg_base_dir / "no-postgres-here"
    bad_bin_dir.mkdir()

    # when a private cluster is started with it
    with pytest.raises(LocalStackError) as raised:
        PrivatePostgres(pg_base_dir / "pg", bin_dir=bad_bin_dir).start()

    # then the error names the service, what is missing, where, and what to do
    assert raised.value.service == "PostgreSQL"
    assert str(raised.value) == (
        f"PostgreSQL: initdb, pg_ctl, postgres, psql not found in {bad_bin_dir}. "
        "point bin_dir at the directory of the PostgreSQL server binaries "
        "(`pg_config --bindir`), or set DATABASE_URL to a server you already run"
    )
    # and nothing was created on disk
    assert (pg_base_dir / "pg").exists() is False


def test_local_stack_uses_database_url_from_the_environment_and_starts_no_cluster(pg_base_dir):
    # given DATABASE_URL in the environment
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    stack = LocalStack.from_env({"DATABASE_URL": database_url}, pg_base_dir=pg_base_dir / "pg")

    # when the stack starts
    with stack as endpoints:
        # then it hands out that URL and a live moto endpoint, and runs no private cluster
        assert isinstance(endpoints, LocalEndpoints)
        assert endpoints.database_url == database_url
        assert stack.moto is not None
        assert endpoints.aws_endpoint_url == stack.moto.endpoint_url
        sqs = boto3.client(
            "sqs",
            endpoint_url=endpoints.aws_endpoint_url,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=KEY,
        )
        assert sqs.list_queues().get("QueueUrls", []) == []
        assert stack.postgres is None
        assert (pg_base_dir / "pg").exists() is False
        moto_port = stack.moto.port

    # and stopping it stops moto
    assert stack.moto is None
    assert _port_open(moto_port) is False


async def test_local_stack_without_database_url_runs_a_private_cluster(pg_base_dir):
    # given no DATABASE_URL
    stack = LocalStack.from_env({}, pg_base_dir=pg_base_dir)

    # when the stack starts
    with stack as endpoints:
        postgres = stack.postgres
        assert postgres is not None
        port = postgres.port
        # then its database URL is the private cluster's, and it answers
        assert endpoints.database_url == f"postgresql+asyncpg://postgres@127.0.0.1:{port}/vitrine"
        connection = await asyncpg.connect(_plain(endpoints.database_url))
        assert await connection.fetchval("SELECT 1") == 1
        await connection.close()

    # and stopping the stack stops the cluster
    assert port is not None
    assert _port_open(port) is False
    assert stack.postgres is None


def test_local_stack_stops_moto_when_postgres_fails_to_start(pg_base_dir):
    # given no DATABASE_URL and PostgreSQL binaries that do not exist
    bad_bin_dir = pg_base_dir / "empty-bin"
    bad_bin_dir.mkdir()
    stack = LocalStack(pg_base_dir=pg_base_dir / "pg", pg_bin_dir=bad_bin_dir)
    moto_ports: list[int] = []
    original_start = MotoServer.start

    def recording_start(server: MotoServer) -> str:
        url = original_start(server)
        moto_ports.append(server.port)
        return url

    # when the stack starts
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MotoServer, "start", recording_start)
        with pytest.raises(LocalStackError) as raised:
            stack.start()

    # then the error is PostgreSQL's, and moto, started first, was stopped again
    assert raised.value.service == "PostgreSQL"
    assert "not found in" in str(raised.value)
    assert len(moto_ports) == 1
    assert _port_open(moto_ports[0]) is False
    assert stack.moto is None


def test_local_stack_names_an_unreachable_database_url():
    # given a DATABASE_URL where nothing listens
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    stack = LocalStack(database_url=f"postgresql://postgres:secret@127.0.0.1:{free_port}/x")

    # when the stack starts
    with pytest.raises(LocalStackError) as raised:
        stack.start()

    # then the error points at DATABASE_URL and what to do, without the password
    message = str(raised.value)
    assert message.startswith(
        f"PostgreSQL: nothing answers at 127.0.0.1:{free_port}, where DATABASE_URL points"
    )
    assert "unset it to let the local stack run a private cluster" in message
    assert "secret" not in message
    assert stack.moto is None


def test_local_endpoints_are_frozen_and_hide_the_password():
    # given endpoints with a password in the database URL
    endpoints = LocalEndpoints(
        aws_endpoint_url="http://127.0.0.1:5000",
        database_url="postgresql://app:s3cret@db.internal:5432/vitrine",
    )

    # when they are printed or changed
    text = repr(endpoints)
    with pytest.raises(AttributeError):
        endpoints.database_url = "postgresql://other"  # type: ignore[misc]

    # then the password is masked and the value unchanged
    assert text == (
        "LocalEndpoints(aws_endpoint_url='http://127.0.0.1:5000', "
        "database_url='postgresql://app:***@db.internal:5432/vitrine')"
    )
    assert endpoints.database_url == "postgresql://app:s3cret@db.internal:5432/vitrine"


class _FakePgServer:
    """Stands in for the pgserver wheel's server handle: records what it is asked."""

    def __init__(self, pgdata: Path, cleanup_mode: str) -> None:
        self.pgdata = pgdata
        self.cleanup_mode = cleanup_mode
        self.commands: list[str] = []
        self.cleaned_up = False

    def psql(self, command: str) -> str:
        self.commands.append(command)
        return ""

    def get_uri(self, database: str) -> str:
        return f"postgresql://postgres:@/{database}?host={self.pgdata}"

    def cleanup(self) -> None:
        self.cleaned_up = True


def _fake_pgserver_module(servers: list[_FakePgServer]) -> types.ModuleType:
    module = types.ModuleType("pgserver")
    module.__spec__ = importlib.machinery.ModuleSpec("pgserver", None)

    def get_server(pgdata: Path, cleanup_mode: str = "stop") -> _FakePgServer:
        server = _FakePgServer(pgdata, cleanup_mode)
        servers.append(server)
        return server

    module.get_server = get_server  # type: ignore[attr-defined]
    return module


def test_private_postgres_falls_back_to_pgserver_without_server_binaries(pg_base_dir, monkeypatch):
    # given no server binaries anywhere, and the pgserver package importable
    servers: list[_FakePgServer] = []
    monkeypatch.setattr(local_postgres, "_candidate_bin_dirs", list)
    monkeypatch.setitem(sys.modules, "pgserver", _fake_pgserver_module(servers))
    postgres = PrivatePostgres(pg_base_dir)

    # when the private cluster starts
    url = postgres.start()
    postgres.stop()

    # then pgserver ran it in its own data directory, created the database, and was stopped
    assert len(servers) == 1
    server = servers[0]
    assert (server.pgdata, server.cleanup_mode) == (pg_base_dir / "pgserver", "stop")
    assert url == f"postgresql+asyncpg://postgres:@/vitrine?host={pg_base_dir / 'pgserver'}"
    assert server.commands == [
        "SELECT 'CREATE DATABASE \"vitrine\"' WHERE NOT EXISTS "
        "(SELECT FROM pg_database WHERE datname = 'vitrine')\\gexec\n"
    ]
    assert server.cleaned_up is True
    assert postgres.bin_dir is None


def test_private_postgres_names_both_options_when_neither_is_available(pg_base_dir, monkeypatch):
    # given no server binaries anywhere and no pgserver package
    monkeypatch.setattr(local_postgres, "_candidate_bin_dirs", list)
    monkeypatch.setitem(sys.modules, "pgserver", None)  # makes find_spec/import fail

    # when a private cluster is started
    with pytest.raises(LocalStackError) as raised:
        PrivatePostgres(pg_base_dir / "pg").start()

    # then the error says what is missing and what to install or set
    message = str(raised.value)
    assert message.startswith("PostgreSQL: no server binaries (initdb, pg_ctl, postgres, psql)")
    assert "the pgserver package is not installed" in message
    assert "`pip install pgserver`" in message
    assert "set DATABASE_URL" in message
    assert (pg_base_dir / "pg").exists() is False
