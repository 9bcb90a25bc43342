"""Per-image latency and memory of the offline providers on a 1024x768 picture.

Run standalone (DJANGO_SETTINGS_MODULE=config.settings) or through `make bench`. Each
provider is warmed up first (building or loading its model is a one-off per process),
then timed over N runs on the same JPEG; the median is the figure. The process is kept
to two cores, the size of the machines the project runs on.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from harness import pin_to_two_cores, report  # a sibling module

TAGGER_TARGET_MS = 150
REMOVER_TARGET_MS = 1500
PEAK_RSS_TARGET_MB = 1024
WARM_UP_RUNS = 2


def photo_like(width: int = 1024, height: int = 768) -> bytes:
    """A JPEG with a sky gradient, grass, a sun and a standing figure: smooth areas and
    edges, like a photo, rather than noise (which no real upload looks like)."""
    yy, xx = np.mgrid[:height, :width]
    sky = np.stack([100 + 80 * yy / height, 160 + 60 * yy / height, 230 + 0 * xx], axis=-1).astype(
        np.uint8
    )
    picture = Image.fromarray(sky)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(70, 140, 60))
    draw.ellipse((80, 60, 220, 200), fill=(250, 215, 60))
    cx = width // 2
    draw.ellipse((cx - 45, 180, cx + 45, 280), fill=(224, 172, 135))
    draw.rounded_rectangle((cx - 80, 280, cx + 80, 560), radius=40, fill=(40, 60, 140))
    draw.rectangle((cx - 65, 560, cx - 15, height), fill=(30, 30, 40))
    draw.rectangle((cx + 15, 560, cx + 65, height), fill=(30, 30, 40))
    picture = picture.filter(ImageFilter.GaussianBlur(1.5))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def median_ms(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Return the median wall time and the median CPU time (all threads) of one call.

    The machine may be busy with other work: CPU time barely moves then, while wall time
    grows, so the two together tell a slow provider from a crowded machine.
    """
    for _ in range(WARM_UP_RUNS):
        call()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per provider")
    args = parser.parse_args()

    pin_to_two_cores()

    from extensions.providers.local_remove_bg import LocalBackgroundRemover
    from extensions.providers.local_tagging import LocalAutoTagger

    image = photo_like()
    tagger, remover = LocalAutoTagger(), LocalBackgroundRemover()
    tag_params = {"minConfidence": 0, "maxTags": 30}

    tag_wall, tag_cpu = median_ms(lambda: tagger.run(image, "image/jpeg", tag_params), args.runs)
    cut_wall, cut_cpu = median_ms(
        lambda: remover.run(image, "image/jpeg", {"options": {}}), args.runs
    )
    print(f"local-auto-tagging CPU time per image (all threads): {tag_cpu:.1f} ms")
    print(f"local-remove-bg CPU time per image (all threads): {cut_cpu:.1f} ms")
    results = [
        report(
            "local-auto-tagging median latency, 1024x768 JPEG", tag_wall, "ms", TAGGER_TARGET_MS
        ),
        report("local-remove-bg median latency, 1024x768 JPEG", cut_wall, "ms", REMOVER_TARGET_MS),
        # ru_maxrss is in KiB on Linux.
        report(
            "peak RSS with both models loaded",
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "MB",
            PEAK_RSS_TARGET_MB,
        ),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
