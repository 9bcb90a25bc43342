"""First-run credentials: printed once, in a file its owner alone may read, under a 0700 var/."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def bootstrap() -> str:
    out = StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


@pytest.fixture
def var_dir(settings, tmp_path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_the_credentials_are_printed_once(var_dir):
    first = bootstrap()
    again = bootstrap()

    private_key = next(line for line in first.splitlines() if "API private key" in line)
    assert private_key.split(":", 1)[1].strip()
    assert private_key.split(":", 1)[1].strip() not in again
    assert "admin /" not in again
    assert "first-run-credentials.txt" in again


def test_the_file_is_created_with_mode_0600(var_dir, monkeypatch):
    created = []
    original_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        if str(path).endswith("first-run-credentials.txt"):
            created.append((flags, mode))
        return original_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    previous = os.umask(0)  # not even a permissive umask may open it to others
    try:
        bootstrap()
    finally:
        os.umask(previous)

    path = var_dir / "first-run-credentials.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Created with its final mode, not made 0644 and narrowed afterwards.
    assert created and created[0][1] == 0o600 and created[0][0] & os.O_EXCL


def test_var_is_made_mode_0700(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**env, "VAR_DIR": str(var)},
        check=True,
    )
    assert stat.S_IMODE(var.stat().st_mode) == 0o700

    var.chmod(0o755)  # an older installation's
    subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**env, "VAR_DIR": str(var)},
        check=True,
    )
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
