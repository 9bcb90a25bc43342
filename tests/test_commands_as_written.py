"""The README's commands work in the checkout `make run` prepared, with nothing else set.

Each command runs as a user would type it, in a fresh process whose environment holds
only what a shell has; a missing setting is one clear line, never a traceback.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow]


def load_run_script():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shell_env(var_dir: Path, **extra: str) -> dict[str, str]:
    # VAR_DIR stands for the checkout's var/; the offline models are shared to stay fast.
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(var_dir)),
        "VAR_DIR": str(var_dir),
        "OFFLINE_MODELS_DIR": os.environ["OFFLINE_MODELS_DIR"],
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_createapikey_works_after_make_run_prepared_the_checkout(tmp_path):
    environ = {"VAR_DIR": str(tmp_path), "PORT": "8123"}
    run_env = load_run_script().prepare_environment(environ)
    assert "PUBLIC_BASE_URL=http://localhost:8123" in run_env.read_text()
    env = shell_env(tmp_path)
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0

    created = manage(env, "createapikey", "NAME")

    assert created.returncode == 0, created.stderr
    assert "Traceback" not in created.stderr
    private_key = created.stdout.strip().splitlines()[-1]
    assert private_key.startswith("private_")


def test_a_missing_secret_key_is_one_clear_line(tmp_path):
    result = manage(shell_env(tmp_path), "createapikey", "NAME")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in "
        "production, or DEBUG=true for development, where a key is generated into "
        "var/secret_key."
    ]


def test_production_without_a_public_base_url_to_derive_refuses_to_start(tmp_path):
    env = shell_env(tmp_path, SECRET_KEY="s" * 50, ALLOWED_HOSTS="*")

    result = manage(env, "check")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Configuration error: PUBLIC_BASE_URL is not set")


@pytest.mark.parametrize(
    "command",
    [
        # What gunicorn imports in each web worker, and the Celery worker as run.py starts it.
        [sys.executable, "-c", "import config.wsgi"],
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"],
    ],
    ids=["web", "worker"],
)
def test_the_long_running_processes_say_a_missing_setting_in_one_line(tmp_path, command):
    result = subprocess.run(
        command, cwd=ROOT, env=shell_env(tmp_path), capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("Configuration error: SECRET_KEY is not set.")
    )
