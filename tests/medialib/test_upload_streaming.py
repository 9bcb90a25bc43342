"""Uploads stream: memory does not grow with the size of the file."""

from __future__ import annotations

import hashlib
import tempfile
import tracemalloc

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from core.exceptions import PayloadTooLarge
from medialib.services import upload_file
from medialib.sources import spool_file

pytestmark = pytest.mark.django_db

SIZE = 30 * 1024 * 1024


def test_a_30_mb_upload_is_never_held_in_memory(settings):
    settings.MEDIALIB_MAX_UPLOAD_BYTES = 40 * 1024 * 1024
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as source:
        block = bytes(range(256)) * 4096  # 1 MB, not text, no known signature
        for _ in range(SIZE // len(block)):
            source.write(block)
            digest.update(block)
        source.seek(0)

        tracemalloc.start()
        try:
            result = upload_file(file=File(source, name="upload"), file_name="big.bin")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes for a {SIZE}-byte upload"
    version = result.asset.current_version
    assert version.size == SIZE
    assert version.checksum == digest.hexdigest()
    assert default_storage.size(version.storage_key) == SIZE


def test_a_file_part_django_spooled_is_hashed_where_it_is_not_copied():
    content = b"not an image, " * 10_000
    part = TemporaryUploadedFile("part.bin", "application/octet-stream", len(content), None)
    part.write(content)

    spooled = spool_file(part)

    assert spooled.file is part.file  # Django's temporary file, not a second one
    assert (spooled.size, spooled.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert spooled.file.read() == content
    spooled.close()


def test_a_file_part_over_the_limit_is_refused_while_hashed(settings):
    settings.MEDIALIB_MAX_UPLOAD_BYTES = 1000
    part = SimpleUploadedFile("part.bin", b"x" * 2000)
    part.size = None  # a part whose size was not given: counted while read

    with pytest.raises(PayloadTooLarge):
        spool_file(part)
