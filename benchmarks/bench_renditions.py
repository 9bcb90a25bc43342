"""Renditions: serving a cached one, rendering a first one, and memory on a huge PNG.

- rendition_cached_vs_original: GET of a cached `w-800` rendition over GET of an
  original file holding the same bytes (both through `/f/`): <= 1.2.
- rendition_first_vs_decode: the first GET of `w-400` of a 24-megapixel JPEG
  (parse, render, store, serve) over libvips' own thumbnail of that file: <= 1.5.
- rendition_100mp_rss_mb: peak RSS rise of a fresh process rendering `w-400` of a
  100-megapixel PNG with the renderer the web process uses: < 128 MB.
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from harness import pin_to_two_cores, report, test_database  # a sibling module

# A cached request takes milliseconds: many, interleaved, for a ratio that holds still.
CACHED_REPEATS = 200
FIRST_REPEATS = 5

_RSS_CHILD = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()
from medialib import renderer, transformations
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
before = status("VmRSS:")
renderer.render(sys.argv[1], transformations.parse("w-400"), fmt="jpg")
print(status("VmHWM:") - before)
"""


def interleaved_medians_ms(first, second, repeats: int) -> tuple[float, float]:
    """Medians of two calls timed in turn: a load change on the machine hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for call, kept in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            call()
            kept.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def get(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content)


def main() -> int:
    pin_to_two_cores()
    import pyvips

    results = []
    with test_database():
        from django.core.cache import cache
        from django.core.files.storage import default_storage
        from django.test import Client

        from medialib.models import Rendition
        from medialib.services import api_key_create

        key = api_key_create(name="bench").private_key
        api = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{key}:".encode()).decode())
        web = Client()

        def upload(content: bytes, name: str) -> None:
            from django.core.files.uploadedfile import SimpleUploadedFile

            response = api.post(
                "/api/v1/files/upload",
                {
                    "file": SimpleUploadedFile("u", content),
                    "fileName": name,
                    "useUniqueFileName": "false",
                },
            )
            assert response.status_code == 200, response.content[:300]

        medium = pyvips.Image.gaussnoise(1600, 1200, mean=128, sigma=40).cast("uchar")
        upload(medium.bandjoin([medium, medium]).jpegsave_buffer(Q=85), "medium.jpg")
        cached = get(web, "/f/medium.jpg?tr=w-800")
        upload(cached, "same-size.jpg")
        rendition_ms, original_ms = interleaved_medians_ms(
            lambda: get(web, "/f/medium.jpg?tr=w-800"),
            lambda: get(web, "/f/same-size.jpg"),
            CACHED_REPEATS,
        )
        print(f"  cached w-800: {rendition_ms:.2f} ms, same-size original: {original_ms:.2f} ms")
        ratio = rendition_ms / original_ms
        results.append(report("rendition_cached_vs_original", ratio, "x", 1.2))

        big = pyvips.Image.gaussnoise(6000, 4000, mean=128, sigma=40).cast("uchar")
        upload(big.bandjoin([big, big]).jpegsave_buffer(Q=85), "big.jpg")
        from medialib.models import Asset

        path = default_storage.path(Asset.objects.get(name="big.jpg").current_version.storage_key)

        def first_request() -> None:
            Rendition.objects.all().delete()
            cache.clear()  # forget the remembered key too: a real first request
            get(web, "/f/big.jpg?tr=w-400")

        def libvips_alone() -> None:
            pyvips.Image.thumbnail(path, 400, height=10_000_000).jpegsave_buffer(Q=80)

        first_ms, decode_ms = interleaved_medians_ms(first_request, libvips_alone, FIRST_REPEATS)
        print(f"  first w-400: {first_ms:.0f} ms, libvips thumbnail: {decode_ms:.0f} ms")
        results.append(report("rendition_first_vs_decode", first_ms / decode_ms, "x", 1.5))

    with tempfile.TemporaryDirectory() as folder:
        png = str(Path(folder) / "100mp.png")
        pyvips.Image.gaussnoise(10000, 10000, mean=128, sigma=20).cast("uchar").pngsave(
            png, compression=1
        )
        child = subprocess.run(
            [sys.executable, "-c", _RSS_CHILD, png],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "LOG_LEVEL": "WARNING"},
        )
        rise = float(child.stdout.strip().splitlines()[-1])
        results.append(report("rendition_100mp_rss_mb", rise, "MB", 128))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
