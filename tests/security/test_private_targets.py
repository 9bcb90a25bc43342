"""Private network targets are allowed only when set explicitly, never implied by DEBUG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.run import development_environment

ROOT = Path(__file__).resolve().parents[2]


def setting_with(**environ: str) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "DJANGO_SETTINGS_MODULE")
    }
    code = "import config.settings as s; print(s.WEBHOOKS_ALLOW_PRIVATE_TARGETS)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **environ},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_debug_does_not_allow_private_targets():
    assert setting_with(DEBUG="true") == "False"
    assert setting_with(DEBUG="true", WEBHOOKS_ALLOW_PRIVATE_TARGETS="true") == "True"


def test_make_run_on_loopback_allows_them_and_says_so():
    environ: dict[str, str] = {}

    notices = development_environment(environ)

    assert environ["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] == "true"
    assert any("WEBHOOKS_ALLOW_PRIVATE_TARGETS=true" in notice for notice in notices)


def test_make_run_on_another_address_or_with_an_opt_out_does_not():
    public: dict[str, str] = {"HOST": "0.0.0.0"}
    assert development_environment(public) == []
    assert "WEBHOOKS_ALLOW_PRIVATE_TARGETS" not in public

    opted_out = {"WEBHOOKS_ALLOW_PRIVATE_TARGETS": "false"}
    assert development_environment(opted_out) == []
    assert opted_out["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] == "false"
