"""Uploads: time of POST /api/v1/files/upload, and memory of a large upload through the service.

Run standalone or through `make bench`. A throw-away test database of the configured
kind (SQLite by default, PostgreSQL with DATABASE_URL); files go to local disk in VAR_DIR.
Memory is Python's traced peak (tracemalloc) while the service streams, hashes,
inspects and stores the file; Pillow's pixel buffers are allocated outside it, which
is why the JPEG's figure also reports the size it was decoded at (draft mode).
"""

from __future__ import annotations

import base64
import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from harness import report, test_database  # a sibling module

SMALL_UPLOAD_TARGET_MS = 100  # a 640x480 PNG, end to end through the API
LARGE_JPEG_TARGET_MS = 800  # a 6000x4000 JPEG of noise (about 12 MB)
PEAK_MEMORY_TARGET_MB = 4  # for a 30 MB upload
REPEATS = 5


def timed_upload(client, content: bytes, name: str) -> float:
    from django.core.files.uploadedfile import SimpleUploadedFile

    started = time.perf_counter()
    response = client.post(
        "/api/v1/files/upload",
        {"file": SimpleUploadedFile("upload", content), "fileName": name},
    )
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    return elapsed


def image_bytes(size: tuple[int, int], fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def peak_memory_of_service_upload(size: int) -> int:
    from django.core.files import File

    from medialib.services import upload_file

    with tempfile.TemporaryFile() as source:
        block = bytes(range(256)) * 4096
        for _ in range(size // len(block)):
            source.write(block)
        source.seek(0)
        tracemalloc.start()
        try:
            upload_file(file=File(source, name="upload"), file_name="big.bin")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def main() -> int:
    with test_database():
        from django.test import Client

        from medialib import images
        from medialib.services import api_key_create

        key = api_key_create(name="bench").private_key
        client = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{key}:".encode()).decode())
        small = image_bytes((640, 480), "PNG")
        large = image_bytes((6000, 4000), "JPEG")
        small_ms = statistics.median(timed_upload(client, small, "s.png") for _ in range(REPEATS))
        large_ms = statistics.median(timed_upload(client, large, "l.jpg") for _ in range(3))
        decoded = images.inspect(io.BytesIO(large), name="l.jpg").thumbnail.decoded_size
        peak = peak_memory_of_service_upload(30 * 1024 * 1024)
        figures = [
            ("upload of a 640x480 PNG", small_ms, SMALL_UPLOAD_TARGET_MS, "ms"),
            (
                f"upload of a 6000x4000 JPEG ({len(large) // 1024} KB, decoded at "
                f"{decoded[0]}x{decoded[1]})",
                large_ms,
                LARGE_JPEG_TARGET_MS,
                "ms",
            ),
            ("traced peak memory of a 30 MB upload", peak / 2**20, PEAK_MEMORY_TARGET_MB, "MB"),
        ]
        ok = all([report(label, value, unit, target) for label, value, target, unit in figures])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
