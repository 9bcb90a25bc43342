"""Real server processes for the benchmark: gunicorn and Celery workers on loopback.

Each is started with the benchmark's environment, waited for until it answers, and
stopped by its own process id (a process group of its own, so its children go too).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def gunicorn(
    env: dict[str, str], *, workers: int = 2, threads: int = 4, log: Path
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `gunicorn config.wsgi` (gthread) and yield its base URL and master process."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--timeout",
                "300",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(f"{base}/healthz", process, log)
        yield base, process
    finally:
        _stop(process)


@contextmanager
def celery_worker(
    env: dict[str, str], *, queues: str, pool: str, concurrency: int, log: Path
) -> Iterator[subprocess.Popen]:
    """Run one Celery worker on `queues` and yield it once it answers a ping."""
    name = f"bench-{os.getpid()}-{free_port()}@%h"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                queues,
                "-P",
                pool,
                "-c",
                str(concurrency),
                "-n",
                name,
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        _wait_until_consuming(name.replace("%h", socket.gethostname()), process, log)
        yield process
    finally:
        _stop(process)


def _wait_until_consuming(name: str, process: subprocess.Popen, log: Path) -> None:
    """Wait until the worker answers a ping: it has started its pool and consumes.

    A fixed sleep was too short on a busy machine, and the first figure then timed
    the worker's start-up (Django set-up, system checks, imports) too.
    """
    from config.celery import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited; see {log}")
        if app.control.ping(destination=[name], timeout=0.5):
            return
    raise RuntimeError(f"the Celery worker did not answer within 120 s; see {log}")


def _wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited before answering; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our loopback URL)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within 60 s; see {log}")


def _process_stats() -> Iterator[tuple[int, list[str]]]:
    """Each live process id with its /proc stat fields after the command name."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces; the fields follow its closing paren:
            # state, ppid, pgrp, ... utime (11), stime (12).
            yield int(entry.name), stat.rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """The process ids whose parent is `pid` (gunicorn's workers)."""
    return [child for child, fields in _process_stats() if int(fields[1]) == pid]


def memory_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in KiB: VmRSS (now) or VmHWM (peak since start)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process group.

    The servers here each lead a group of their own (`start_new_session`), so this is
    a worker with its pool processes, or a gunicorn master with its workers.
    """
    in_group = (fields for _, fields in _process_stats() if int(fields[2]) == pgid)
    ticks = sum(int(fields[11]) + int(fields[12]) for fields in in_group)
    return ticks / os.sysconf("SC_CLK_TCK")
