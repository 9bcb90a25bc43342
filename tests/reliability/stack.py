"""Real processes for the reliability suite: gunicorn, Celery workers and beat.

Each process gets its own environment (the test database, the broker, short leases
and sweep intervals, providers pointed at loopback fakes) and its own `var/` folder.
Processes are started in their own session so a test can SIGKILL one with all its
children, by process group id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
QUEUES = "default,providers-io,providers-cpu,webhooks"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Report:
    """What the suite did, printed at the end of the run."""

    requests: int = 0
    faults: Counter = field(default_factory=Counter)
    inputs: int = 0
    server_errors: int = 0
    lost: int = 0
    charged_twice: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        faults = ", ".join(f"{name} x{count}" for name, count in sorted(self.faults.items()))
        return [
            f"requests made: {self.requests}",
            f"faults injected and survived: {sum(self.faults.values())} ({faults or 'none'})",
            f"hostile inputs tried: {self.inputs}",
            f"5xx other than clean 503s: {self.server_errors}",
            f"lost: {self.lost}",
            f"charged twice: {self.charged_twice}",
            *self.notes,
        ]


REPORT = Report()


class Process:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._file = log.open("ab")
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the process and all its children (its own process group)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            # SIGTERM to the main process: Celery and gunicorn stop their children.
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._file.close()


class Stack:
    """A set of processes sharing one environment; `stop()` ends them all."""

    def __init__(self, env: dict[str, str], var_dir: Path) -> None:
        self.env = env
        self.var_dir = var_dir
        self.processes: list[Process] = []

    def _start(self, name: str, argv: list[str], **extra_env: str) -> Process:
        # One var/ (local storage) for the stack, as `make run` has; a test gives a
        # process its own with VAR_DIR= (and S3 for storage) to scale out.
        var = Path(extra_env.get("VAR_DIR") or self.env.get("VAR_DIR") or self.var_dir / "var")
        var.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "VAR_DIR": str(var), **extra_env}
        process = Process(name, argv, env, self.var_dir / f"{name}.log")
        self.processes.append(process)
        return process

    def web(self, name: str = "web", workers: int = 2, **extra_env: str) -> str:
        port = free_port()
        self._start(
            name,
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--timeout",
                "120",
                "--graceful-timeout",
                "3",
            ],
            **extra_env,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(base + "/healthz"), timeout=60, what=f"{name} to serve")
        return base

    def worker(
        self, name: str = "worker", concurrency: int = 8, app: str = "config", **extra_env: str
    ) -> Process:
        process = self._start(
            name,
            [
                str(BIN / "celery"),
                "-A",
                app,
                "worker",
                "-Q",
                QUEUES,
                "-P",
                "threads",
                "-c",
                str(concurrency),
                "-n",
                f"{name}-{os.getpid()}@%h",
                "-l",
                "INFO",
            ],
            **extra_env,
        )
        return process

    def beat(self, name: str = "beat", **extra_env: str) -> Process:
        schedule = self.var_dir / f"{name}-schedule"
        return self._start(
            name,
            [str(BIN / "celery"), "-A", "config", "beat", "-l", "INFO", "-s", str(schedule)],
            **extra_env,
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code < 600
    except requests.RequestException:
        return False


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.2) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class TcpProxy:
    """A TCP relay to a server (PostgreSQL) that a test can cut and restore.

    Cut: every open connection is closed and new ones are closed at once, as during a
    database restart; restored: connections pass again. Only this test's processes
    connect through it, so the shared database server itself is never restarted.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.up = threading.Event()
        self.up.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        self.up.clear()
        with self._lock:
            conns, self._conns = self._conns, []
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.up.set()

    def stop(self) -> None:
        self._stopped = True
        self.cut()
        self._listener.close()


class RedisServer:
    """A Redis of the test's own on a free port (a broker it may stop and start again).

    The machine's shared Redis is never stopped; this one holds nothing else.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: Process | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        argv = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        self.process = Process("redis", argv, dict(os.environ), self.folder / "redis.log")
        wait_until(self._answers, timeout=20, what="redis to listen")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process._file.close()
            self.process = None
