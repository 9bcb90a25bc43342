"""Environment for the test suite, set before Django reads its settings (loaded with -p)."""

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# Production settings need a host to build absolute URLs outside requests from.
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Worker and live-server threads then close their connections after each task or
# request, so PostgreSQL's test database can be dropped at the end of the run.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
# The test servers speak plain HTTP on loopback: TLS-only defaults off.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
# Private targets are refused, as in production; tests of loopback receivers allow them.
os.environ["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "false"
# A loaded machine must not turn a run a test expects done in the request into a queued
# one; the tests of the budget set their own.
os.environ.setdefault("EXTENSIONS_SYNC_BUDGET", "30")
_own_var_dir = None
if "VAR_DIR" not in os.environ:
    _own_var_dir = tempfile.mkdtemp(prefix="medialib-test-")
    os.environ["VAR_DIR"] = _own_var_dir
# Built once from the installed wheel and reused across runs (see extensions.offline_models).
os.environ.setdefault(
    "OFFLINE_MODELS_DIR", str(Path(__file__).resolve().parent.parent / "var" / "models")
)


def pytest_unconfigure(config) -> None:
    if _own_var_dir:
        shutil.rmtree(_own_var_dir, ignore_errors=True)
