"""`make bench`: run every benchmarks/bench_*.py and print its figures beside their targets.

Each benchmark is a standalone script printing lines `figure: value (target: X)`;
they run one after another so they do not compete for the two cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(HERE.parent),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-secret-key"),
        # The offline models are built once from their wheels and shared by every run.
        "OFFLINE_MODELS_DIR": os.environ.get(
            "OFFLINE_MODELS_DIR", str(HERE.parent / "var" / "models")
        ),
    }
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.stem}", flush=True)
        with tempfile.TemporaryDirectory(prefix="medialib-bench-") as var_dir:
            result = subprocess.run(
                [sys.executable, str(script)],
                env={**env, "VAR_DIR": os.environ.get("VAR_DIR", var_dir)},
                cwd=HERE.parent,
                check=False,
            )
        if result.returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
