"""`make run`: the whole product in the foreground on embedded defaults.

Prepares the database and first-run credentials, then runs the web server, one
Celery worker and beat as children. Ctrl-C (or SIGTERM) stops the children one
by one: signalling the whole process group at once can leave a prefork worker
waiting on beat for 30 s, and each child here stops cleanly on its own SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_TIMEOUT = 10.0


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def start(name: str, argv: list[str]) -> tuple[str, subprocess.Popen]:
    # A new session keeps the terminal's Ctrl-C away from the children, so this
    # script alone decides the order in which they stop.
    return name, subprocess.Popen(argv, cwd=ROOT, start_new_session=True)


def stop(children: list[tuple[str, subprocess.Popen]]) -> None:
    for name, process in children:
        if process.poll() is not None:
            continue
        print(f"stopping {name}…", flush=True)
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # Tasks are acknowledged late, so a killed worker's task is redelivered.
            process.kill()
            process.wait()


# The variables `make run` chooses, kept in var/run.env: config/settings.py reads them
# there, so `python manage.py ...` in this checkout runs with the same settings.
RUN_ENV_NAMES = ("DEBUG", "ALLOWED_HOSTS", "PUBLIC_BASE_URL")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def public_host(host: str) -> str:
    """The name a browser on this machine uses for a server bound to `host`."""
    return "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "") else host  # noqa: S104


def development_environment(environ: dict[str, str] | os._Environ) -> list[str]:
    """Set `make run`'s development defaults in `environ`; return notices to print.

    Bound to loopback, webhooks and uploads by URL may reach private addresses
    (a receiver on this machine), unless WEBHOOKS_ALLOW_PRIVATE_TARGETS says otherwise.
    """
    environ.setdefault("DEBUG", "true")
    port = environ.setdefault("PORT", "8000")
    host = environ.get("HOST", "127.0.0.1")
    environ.setdefault("ALLOWED_HOSTS", f"localhost,127.0.0.1,[::1],{host}")
    # Webhook bodies are built on the worker, outside any request: they need this to
    # carry absolute `url` and `thumbnail`, as GET /v1/files/{fileId}/details does.
    environ.setdefault("PUBLIC_BASE_URL", f"http://{public_host(host)}:{port}")
    notices = []
    if host in LOOPBACK_HOSTS:
        environ.setdefault("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
    if environ.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "").lower() in ("1", "true", "yes", "on"):
        notices.append(
            "Development: webhooks and uploads by URL may reach private and loopback "
            "addresses (WEBHOOKS_ALLOW_PRIVATE_TARGETS=true). Never set this in production."
        )
    return notices


def prepare_environment(environ: dict[str, str] | os._Environ) -> Path:
    """Fill in the development defaults in `environ` and write them to var/run.env."""
    development_environment(environ)
    var_dir = Path(environ.get("VAR_DIR") or ROOT / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    run_env = var_dir / "run.env"
    lines = [f"{name}={environ[name]}" for name in RUN_ENV_NAMES]
    run_env.write_text(
        "# Written by `make run`: the development settings of manage.py commands in this\n"
        "# checkout (variables set in the environment win). Delete it for production.\n"
        + "\n".join(lines)
        + "\n"
    )
    return run_env


def main() -> int:
    notices = development_environment(os.environ)
    prepare_environment(os.environ)
    port = os.environ["PORT"]
    host = os.environ.get("HOST", "127.0.0.1")
    for notice in notices:
        print(notice, flush=True)

    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    manage("bootstrap")
    manage("buildmodels")
    manage("extensionbackends")

    queues = "default,providers-io,providers-cpu,webhooks"
    children = [
        start(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
                "--access-logfile",
                "-",
            ],
        ),
        start(
            "worker",
            # Threads: provider calls and webhook deliveries wait on the network, and
            # the offline models release the GIL, so one slow receiver or model
            # holds one thread of eight, not half the worker.
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                queues,
                "-P",
                "threads",
                "-c",
                "8",
                "-l",
                "INFO",
            ],
        ),
        start("beat", [str(BIN / "celery"), "-A", "config", "beat", "-l", "INFO"]),
    ]

    base = f"http://{public_host(host)}:{port}"
    print(
        f"\n  UI:       {base}/\n  Admin:    {base}/admin/\n  API docs: {base}/api/docs/\n"
        f"  Health:   {base}/healthz\n\nCtrl-C stops everything.\n",
        flush=True,
    )

    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    exit_code = 0
    while not stopping:
        for name, process in children:
            if process.poll() is not None:
                print(f"{name} exited with {process.returncode}; stopping the rest.", flush=True)
                exit_code = 1
                stopping = True
                break
        time.sleep(0.5)

    stop(children)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
