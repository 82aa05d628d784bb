"""Child processes of the benchmark: moto server and uvicorn servers, on loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds used so far by process ``pid``, all threads (from /proc)."""
    return cpu_seconds_of(Path(f"/proc/{pid}/stat"))


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy, all cores and processes (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


def main_thread_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by the main thread of process ``pid`` (the event loop)."""
    return cpu_seconds_of(Path(f"/proc/{pid}/task/{pid}/stat"))


def cpu_seconds_of(stat: Path) -> float:
    """User plus system CPU seconds in a ``/proc`` stat file."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` now (``VmRSS`` in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_until_idle(pid: int, *, below: float = 0.05, timeout: float = 20.0) -> None:
    """Wait until process ``pid`` uses less than ``below`` of a core (over half a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if (cpu_seconds(pid) - before) / 0.5 < below:
            return


class Child:
    """A child process that is ready once ``ready_url`` answers 200."""

    def __init__(
        self, name: str, argv: list[str], ready_url: str, env: dict[str, str], log_dir: Path
    ) -> None:
        self.name = name
        self._argv = argv
        self._ready_url = ready_url
        self._env = env
        self._log_path = log_dir / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The process id (the child must be running)."""
        if self._process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._process.pid

    def start(self, timeout: float = 60.0) -> None:
        """Start the process and wait until it answers."""
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self._argv, cwd=ROOT, env=self._env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                if httpx.get(self._ready_url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        tail = self._log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.name} did not start ({self._log_path}):\n{tail}")

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None


def moto_server(port: int, env: dict[str, str], log_dir: Path) -> Child:
    """``python -m moto.server`` on 127.0.0.1:``port`` (copied from the tests' MotoProcess)."""
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return Child("moto", argv, f"http://127.0.0.1:{port}/moto-api/", env, log_dir)


def app_server(
    kind: str,
    port: int,
    env: dict[str, str],
    log_dir: Path,
    name: str,
    *,
    profile: bool = False,
    flags: Sequence[str] = (),
) -> Child:
    """``python -m bench.serve KIND [FLAGS]`` (one uvicorn worker) on 127.0.0.1:``port``."""
    argv = [sys.executable, "-m", "bench.serve", kind, "--port", str(port), *flags]
    argv += ["--profile"] if profile else []
    return Child(name, argv, f"http://127.0.0.1:{port}/healthz", env, log_dir)
