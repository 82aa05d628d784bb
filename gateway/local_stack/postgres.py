"""A private PostgreSQL cluster for the local stack, used when no DATABASE_URL is given.

With the server binaries on the machine (``pg_config --bindir``, ``/usr/lib/postgresql/*/bin``
or ``PATH``) it runs ``initdb -A trust -U postgres`` once and ``pg_ctl start`` on a spare port,
listening on 127.0.0.1 only (no Unix socket). As root, both run as the ``postgres`` OS user
(initdb refuses root). The data directory is kept between runs. Without the binaries it falls
back to the ``pgserver`` wheel (PostgreSQL over a Unix socket) when that is installed.

A lock file in the base directory is held while a cluster runs, so a server still running
on that directory while nobody holds the lock was orphaned by a crashed run: it is stopped and
started afresh. A ``postmaster.pid`` whose process is gone, or belongs to some other process,
is removed.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import glob
import importlib
import importlib.util
import logging
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from gateway.local_stack.errors import LocalStackError

logger = logging.getLogger(__name__)

_SERVICE = "PostgreSQL"
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres", "psql")
_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_LOG_FILE = "server.log"
_LOG_MAX_BYTES = 5 * 1024 * 1024
_BIND_FAILURES = ("could not bind", "Address already in use", "could not create any TCP/IP")
_NO_SERVER_HINT = (
    "install the PostgreSQL server (for example `apt-get install postgresql`) or "
    "`pip install pgserver`, or set DATABASE_URL to a server you already run"
)


def default_base_dir() -> Path:
    """``.vitrine/pg`` under the current directory (the project root under ``make run``)."""
    return Path.cwd() / ".vitrine" / "pg"


class PrivatePostgres:
    """A PostgreSQL cluster owned by this process, under ``base_dir``.

    ``base_dir`` defaults to ``default_base_dir()``; with ``temporary=True`` a fresh temporary
    directory (inside ``base_dir`` when given) is used and removed on stop(). ``bin_dir``
    pins the server binaries; otherwise they are searched for, then ``pgserver`` is tried.
    """

    def __init__(
        self,
        base_dir: Path | str | None = None,
        *,
        temporary: bool = False,
        bin_dir: Path | str | None = None,
        database: str = "vitrine",
        port: int | None = None,
        os_user: str = "postgres",
        start_timeout: float = 60.0,
    ) -> None:
        if not _DATABASE_NAME.match(database):
            raise ValueError(f"not a plain PostgreSQL identifier: {database!r}")
        self._base_dir_arg = Path(base_dir).resolve() if base_dir is not None else None
        self._temporary = temporary
        self._bin_dir_arg = Path(bin_dir) if bin_dir is not None else None
        self._database = database
        self._requested_port = port
        self._os_user = os_user
        self._start_timeout = start_timeout
        self._as_root = os.geteuid() == 0

        self._base_dir: Path | None = None
        self._bin_dir: Path | None = None
        self._lock_file: IO[str] | None = None
        self._port: int | None = None
        self._database_url: str | None = None
        self._pgserver: Any = None
        self._use_pgserver = False
        self._started = False

    # -- public surface -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether start() succeeded and stop() has not been called since."""
        return self._started

    @property
    def database_url(self) -> str:
        """``postgresql+asyncpg://postgres@127.0.0.1:PORT/vitrine`` (a socket URL for pgserver)."""
        if self._database_url is None:
            raise LocalStackError(_SERVICE, "the private cluster is not started", "call start()")
        return self._database_url

    @property
    def port(self) -> int | None:
        """The TCP port of a native cluster; None before start() and for pgserver."""
        return self._port

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (PGDATA)."""
        if self._base_dir is None:
            raise LocalStackError(_SERVICE, "the private cluster is not started", "call start()")
        return self._base_dir / ("pgserver" if self._use_pgserver else "data")

    @property
    def bin_dir(self) -> Path | None:
        """The directory of the server binaries in use; None for pgserver or before start()."""
        return self._bin_dir

    def start(self) -> str:
        """Start (initialising on first use) the cluster, create the database; return its URL."""
        if self._started:
            return self.database_url
        bin_dir = self._find_bin_dir()
        pgserver_module = self._import_pgserver() if bin_dir is None else None
        self._use_pgserver = bin_dir is None
        self._base_dir = self._prepare_base_dir()
        try:
            self._acquire_lock(self._base_dir)
            if bin_dir is not None:
                self._bin_dir = bin_dir
                self._start_native(bin_dir, self.data_dir)
            else:
                self._start_pgserver(pgserver_module, self.data_dir)
        except BaseException:
            self._release()
            raise
        self._started = True
        atexit.register(self.stop)
        logger.info("private PostgreSQL ready at %s", self._database_url)
        return self.database_url

    def stop(self) -> None:
        """Stop the cluster (``pg_ctl stop -m fast``); a no-op when it is not running."""
        if not self._started:
            return
        self._started = False
        atexit.unregister(self.stop)
        try:
            if self._pgserver is not None:
                self._pgserver.cleanup()
            elif self._bin_dir is not None:
                self._pg_ctl_stop(self._bin_dir, self.data_dir)
            logger.info("private PostgreSQL stopped")
        finally:
            self._release()

    def __enter__(self) -> PrivatePostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- locating a server ----------------------------------------------------------------

    def _find_bin_dir(self) -> Path | None:
        if self._bin_dir_arg is not None:
            missing = _missing_binaries(self._bin_dir_arg)
            if missing:
                raise LocalStackError(
                    _SERVICE,
                    f"{', '.join(missing)} not found in {self._bin_dir_arg}",
                    "point bin_dir at the directory of the PostgreSQL server binaries "
                    "(`pg_config --bindir`), or set DATABASE_URL to a server you already run",
                )
            return self._bin_dir_arg
        for candidate in _candidate_bin_dirs():
            if not _missing_binaries(candidate):
                return candidate
        return None

    @staticmethod
    def _import_pgserver() -> Any:
        if importlib.util.find_spec("pgserver") is None:
            raise LocalStackError(
                _SERVICE,
                "no server binaries (" + ", ".join(_REQUIRED_BINARIES) + ") were found via "
                "`pg_config --bindir`, /usr/lib/postgresql/*/bin or PATH, and the pgserver "
                "package is not installed",
                _NO_SERVER_HINT,
            )
        try:
            return importlib.import_module("pgserver")
        except Exception as exc:
            raise LocalStackError(
                _SERVICE, f"the pgserver package failed to import ({exc})", _NO_SERVER_HINT
            ) from exc

    # -- directories and locking ----------------------------------------------------------

    def _prepare_base_dir(self) -> Path:
        if self._temporary:
            parent = self._base_dir_arg
            if parent is not None:
                parent.mkdir(parents=True, exist_ok=True)
            base = Path(tempfile.mkdtemp(prefix="vitrine-pg-", dir=parent))
        else:
            base = self._base_dir_arg or default_base_dir()
            base.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            # The postgres OS user must traverse it to reach the data directory inside.
            base.chmod(base.stat().st_mode | 0o055)
        return base

    def _acquire_lock(self, base_dir: Path) -> None:
        lock_file = (base_dir / ".lock").open("a+")
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise LocalStackError(
                _SERVICE,
                f"{base_dir} is in use by another running local stack",
                "stop that one, or give this one another directory",
            ) from None
        self._lock_file = lock_file

    def _release(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
        if self._temporary and self._base_dir is not None:
            shutil.rmtree(self._base_dir, ignore_errors=True)
        self._pgserver = None
        self._database_url = None
        self._port = None

    # -- native binaries ------------------------------------------------------------------

    def _start_native(self, bin_dir: Path, data_dir: Path) -> None:
        major = self._binaries_major_version(bin_dir)
        if self._as_root:
            self._check_os_user()
        if (data_dir / "PG_VERSION").is_file():
            cluster_major = (data_dir / "PG_VERSION").read_text().strip()
            if cluster_major != major:
                raise LocalStackError(
                    _SERVICE,
                    f"{data_dir} holds a PostgreSQL {cluster_major} cluster but the binaries in "
                    f"{bin_dir} are PostgreSQL {major}",
                    f"delete {data_dir} to start over, or point bin_dir at PostgreSQL "
                    f"{cluster_major}",
                )
            logger.info("reusing the PostgreSQL cluster in %s", data_dir)
            self._hand_over(data_dir, recursive=True)
        else:
            self._initdb(bin_dir, data_dir)
        self._clear_stale_postmaster(bin_dir, data_dir)
        self._port = self._pg_ctl_start(bin_dir, data_dir)
        try:
            self._create_database(bin_dir, self._port)
        except BaseException:
            self._pg_ctl_stop(bin_dir, data_dir)
            raise
        self._database_url = (
            f"postgresql+asyncpg://postgres@127.0.0.1:{self._port}/{self._database}"
        )

    def _binaries_major_version(self, bin_dir: Path) -> str:
        result = self._run([str(bin_dir / "pg_ctl"), "--version"], as_os_user=False, timeout=30)
        match = re.search(r"\(PostgreSQL\)\s+(\d+)", result.stdout)
        if result.returncode != 0 or match is None:
            raise LocalStackError(
                _SERVICE,
                f"{bin_dir / 'pg_ctl'} --version failed: {(result.stdout + result.stderr).strip()}",
                "point bin_dir at a working PostgreSQL installation",
            )
        return match.group(1)

    def _check_os_user(self) -> None:
        try:
            pwd.getpwnam(self._os_user)
        except KeyError:
            raise LocalStackError(
                _SERVICE,
                f"running as root, and initdb refuses root, but there is no {self._os_user!r} "
                "OS user to run it as",
                f"create it (`useradd --system {self._os_user}`), run as a non-root user, "
                "or set DATABASE_URL",
            ) from None
        if shutil.which("runuser") is None:
            raise LocalStackError(
                _SERVICE,
                "running as root needs `runuser` (util-linux) to run the server as "
                f"{self._os_user!r}, and it is not on PATH",
                "install util-linux, run as a non-root user, or set DATABASE_URL",
            )

    def _initdb(self, bin_dir: Path, data_dir: Path) -> None:
        # initdb into a staging directory and rename it, so that a run killed half-way through
        # leaves no half-initialised cluster behind.
        staging = data_dir.with_name(data_dir.name + ".initdb")
        if staging.exists():
            shutil.rmtree(staging)
        if data_dir.exists():
            logger.warning("%s has no PG_VERSION: removing it and initialising anew", data_dir)
            shutil.rmtree(data_dir)
        staging.mkdir(mode=0o700)
        self._hand_over(staging, recursive=False)
        logger.info("initialising a PostgreSQL cluster in %s", data_dir)
        result = self._run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(staging),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            as_os_user=True,
            timeout=180,
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise LocalStackError(
                _SERVICE,
                f"initdb failed in {staging}: {_last_lines(result.stderr or result.stdout)}",
                f"check that the {self._os_user!r} OS user can write there, or pick another "
                "directory",
            )
        staging.rename(data_dir)

    def _hand_over(self, directory: Path, *, recursive: bool) -> None:
        """As root: give ``directory`` to the postgres OS user and check it can reach it."""
        if not self._as_root:
            return
        user = pwd.getpwnam(self._os_user)
        for path in [directory, *(directory.rglob("*") if recursive else ())]:
            if path.lstat().st_uid != user.pw_uid:
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        probe = self._run(
            ["test", "-w", str(directory), "-a", "-x", str(directory)], as_os_user=True, timeout=30
        )
        if probe.returncode != 0:
            raise LocalStackError(
                _SERVICE,
                f"the {self._os_user!r} OS user cannot reach {directory}",
                "choose a directory whose parents it may traverse (chmod o+x), for example "
                "one under /tmp",
            )

    def _clear_stale_postmaster(self, bin_dir: Path, data_dir: Path) -> None:
        pid_file = data_dir / "postmaster.pid"
        try:
            first_line = pid_file.read_text().split("\n", 1)[0].strip()
        except FileNotFoundError:
            return
        pid = int(first_line) if first_line.isdigit() else 0
        if _is_postmaster_of(pid, data_dir):
            # We hold the directory's lock, so its owner is gone: a crashed run's orphan.
            logger.warning(
                "stopping PostgreSQL (pid %s) left running on %s by a previous run", pid, data_dir
            )
            self._pg_ctl_stop(bin_dir, data_dir)
        if pid_file.exists():
            logger.warning("removing stale %s (pid %s is not its server)", pid_file, pid or "?")
            pid_file.unlink(missing_ok=True)

    def _pg_ctl_start(self, bin_dir: Path, data_dir: Path) -> int:
        log_file = data_dir / _LOG_FILE
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(1, attempts + 1):
            port = self._requested_port or _free_port()
            log_offset = _prepare_log(log_file)
            result = self._run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data_dir),
                    "-l",
                    str(log_file),
                    "-w",
                    "-t",
                    str(int(self._start_timeout)),
                    "-o",
                    f"-p {port} -h 127.0.0.1 -k ''",
                    "start",
                ],
                as_os_user=True,
                timeout=self._start_timeout + 30,
            )
            if result.returncode == 0:
                logger.info("PostgreSQL started on 127.0.0.1:%s (data in %s)", port, data_dir)
                return port
            server_log = _read_from(log_file, log_offset)
            if attempt < attempts and any(text in server_log for text in _BIND_FAILURES):
                logger.info("port %s was taken meanwhile, trying another", port)
                continue
            # pg_ctl may give up waiting while the server still comes up: stop it if so.
            self._pg_ctl_stop(bin_dir, data_dir, check=False)
            raise LocalStackError(
                _SERVICE,
                f"pg_ctl start failed on port {port}: "
                f"{_last_lines(server_log or result.stderr or result.stdout)}",
                f"see {log_file}; delete {data_dir} to start from an empty cluster",
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _pg_ctl_stop(self, bin_dir: Path, data_dir: Path, *, check: bool = True) -> None:
        if not (data_dir / "postmaster.pid").exists():
            return
        result = self._run(
            [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "-t", "60", "stop"],
            as_os_user=True,
            timeout=90,
        )
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0 and check and "Is server running?" not in output:
            raise LocalStackError(
                _SERVICE,
                f"pg_ctl stop failed for {data_dir}: {_last_lines(output)}",
                "stop the server by hand (`pg_ctl -D DATA stop -m immediate`)",
            )

    def _create_database(self, bin_dir: Path, port: int) -> None:
        psql = [
            str(bin_dir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tA",
            "-c",
        ]
        exists = self._run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{self._database}'"],
            as_os_user=False,
            timeout=30,
        )
        if exists.returncode == 0 and exists.stdout.strip() == "1":
            return
        created = exists
        if exists.returncode == 0:
            created = self._run(
                [*psql, f'CREATE DATABASE "{self._database}"'], as_os_user=False, timeout=60
            )
        if created.returncode != 0:
            raise LocalStackError(
                _SERVICE,
                f"could not create database {self._database!r} on port {port}: "
                f"{_last_lines(created.stderr or created.stdout)}",
                f"see {self.data_dir / _LOG_FILE}",
            )

    def _run(
        self, argv: list[str], *, as_os_user: bool, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        if as_os_user and self._as_root:
            argv = ["runuser", "-u", self._os_user, "--", *argv]
        # PG* variables (PGDATA, PGPORT, PGHOST...) would override what we ask for.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["LC_ALL"] = "C"
        try:
            return subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd="/",
                env=env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise LocalStackError(
                _SERVICE, f"cannot run {argv[0]} ({exc})", _NO_SERVER_HINT
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise LocalStackError(
                _SERVICE,
                f"{' '.join(argv)} did not finish within {timeout:g} s",
                "check the machine's load and the server log",
            ) from exc

    # -- pgserver fallback ----------------------------------------------------------------

    def _start_pgserver(self, pgserver: Any, data_dir: Path) -> None:
        logger.info("no PostgreSQL server binaries found: starting pgserver in %s", data_dir)
        try:
            server = pgserver.get_server(data_dir, cleanup_mode="stop")
        except Exception as exc:
            raise LocalStackError(
                _SERVICE,
                f"pgserver could not start a cluster in {data_dir} ({exc})",
                f"delete {data_dir} to start over, or set DATABASE_URL",
            ) from exc
        self._pgserver = server
        try:
            server.psql(
                f"SELECT 'CREATE DATABASE \"{self._database}\"' WHERE NOT EXISTS "
                f"(SELECT FROM pg_database WHERE datname = '{self._database}')\\gexec\n"
            )
            uri = str(server.get_uri(self._database))
        except Exception as exc:
            server.cleanup()
            raise LocalStackError(
                _SERVICE, f"pgserver started but database setup failed ({exc})"
            ) from exc
        # get_uri gives postgresql://postgres:@/DB?host=/socket/dir
        self._database_url = re.sub(r"^postgres(ql)?://", "postgresql+asyncpg://", uri)


def _candidate_bin_dirs() -> list[Path]:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
            )
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    candidates.extend(Path(p) for p in sorted(versioned, key=_version_key, reverse=True))
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    candidates.append(Path("/usr/local/pgsql/bin"))
    return candidates


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def _missing_binaries(bin_dir: Path) -> list[str]:
    return [
        name
        for name in _REQUIRED_BINARIES
        if not ((bin_dir / name).is_file() and os.access(bin_dir / name, os.X_OK))
    ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _is_postmaster_of(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is alive and is the server of ``data_dir`` (not a reused pid)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        # The postmaster chdirs into its data directory.
        try:
            return Path(os.readlink(proc / "cwd")).resolve() == data_dir.resolve()
        except OSError:
            return False
    try:
        out = subprocess.run(
            ["ps", "-p", str(pid), "-o", "command="],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "postgres" in out.stdout and str(data_dir.resolve()) in out.stdout


def _prepare_log(log_file: Path) -> int:
    try:
        size = log_file.stat().st_size
    except FileNotFoundError:
        return 0
    if size > _LOG_MAX_BYTES:
        log_file.write_text("")  # truncating keeps the owner (the postgres OS user)
        return 0
    return size


def _read_from(log_file: Path, offset: int) -> str:
    try:
        with log_file.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _last_lines(text: str, count: int = 8) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "(no output)"
