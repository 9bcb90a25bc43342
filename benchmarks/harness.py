"""What every benchmark shares: figures as same-run ratios, percentiles, the results file.

A figure is `{"name", "value", "unit", "baseline", "ratio", "target", "passed"}`: for a
ratio figure `ratio` is value / baseline, both measured in the same run on the same
machine, so a busy machine slows both alike; memory figures are absolute rises (no
baseline), and informational figures have no target. Every printed line says PASS,
MISS or INFO.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    target: str | None  # "<= 1.5", ">= 0.6", "< 64"; None: informational
    passed: bool | None
    note: str = ""

    def line(self) -> str:
        verdict = {True: "PASS", False: "MISS", None: "INFO"}[self.passed]
        shown = f"{self.value:.1f} {self.unit}"
        if self.ratio is not None:
            shown += f" / baseline {self.baseline:.1f} {self.unit} = {self.ratio:.2f}"
        target = f" (target: {self.target})" if self.target else ""
        note = f"  [{self.note}]" if self.note else ""
        return f"{verdict} {self.name}: {shown}{target}{note}"


def _meets(measured: float, target: str) -> bool:
    operator, bound = target.split()
    limit = float(bound)
    return {
        "<=": measured <= limit,
        "<": measured < limit,
        ">=": measured >= limit,
        ">": measured > limit,
    }[operator]


def ratio_figure(
    name: str, value: float, baseline: float, unit: str, target: str, note: str = ""
) -> Figure:
    """A figure judged by value / baseline against `target` (e.g. "<= 1.5")."""
    ratio = value / baseline if baseline else math.inf
    return Figure(name, value, unit, baseline, ratio, target, _meets(ratio, target), note)


def absolute_figure(
    name: str, value: float, unit: str, target: str | None, note: str = ""
) -> Figure:
    """A figure with no baseline: judged by its value, or informational without a target."""
    passed = _meets(value, target) if target else None
    return Figure(name, value, unit, None, None, target, passed, note)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (0 < fraction <= 1) of the samples."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def write_results(figures: list[Figure], path: Path) -> None:
    """Write the figures as a JSON list, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def report(
    figure: str, value: float, unit: str, target: float, *, higher_is_better: bool = False
) -> bool:
    """Print one absolute figure beside its target (the standalone scripts); True when met."""
    ok = value >= target if higher_is_better else value <= target
    bound = ">=" if higher_is_better else "<="
    print(f"{'PASS' if ok else 'MISS'} {figure}: {value:.1f} {unit} (target: {bound} {target:g})")
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
