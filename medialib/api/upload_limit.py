"""Stops a multipart upload as soon as it passes settings.MEDIALIB_MAX_UPLOAD_BYTES.

Without it Django would write the whole request body to a temporary file
before the service could look at the size.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from medialib.sources import too_large

# Room for the other form fields and the multipart boundaries.
FORM_OVERHEAD_BYTES = 1024 * 1024


class UploadLimitHandler(FileUploadHandler):
    """Counts file bytes and raises 413 past the limit; passes the data on unchanged."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> None:
        limit = settings.MEDIALIB_MAX_UPLOAD_BYTES
        if content_length and content_length > limit + FORM_OVERHEAD_BYTES:
            raise too_large(content_length)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MEDIALIB_MAX_UPLOAD_BYTES:
            raise too_large()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
