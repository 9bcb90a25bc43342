"""What every benchmark shares: the figure line, two cores, a throw-away test database.

Each script prints `figure: value unit (target: <= X unit)` and exits 1 when a
figure misses its target, so `make bench` shows every figure beside its target.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def report(
    figure: str, value: float, unit: str, target: float, *, higher_is_better: bool = False
) -> bool:
    """Print one figure beside its target; True when the target is met."""
    ok = value >= target if higher_is_better else value <= target
    bound = ">=" if higher_is_better else "<="
    missed = "" if ok else "  MISSED"
    print(f"{figure}: {value:.1f} {unit} (target: {bound} {target:g} {unit}){missed}")
    return ok


def pin_to_two_cores() -> None:
    """Measure on the two cores of the machines the project runs on, however many are here."""
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 2:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])


@contextmanager
def test_database(*, keepdb: bool = False) -> Iterator[None]:
    """Set Django up on a test database of the configured kind, dropped afterwards."""
    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=keepdb)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=keepdb)
