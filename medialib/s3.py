"""The S3 storage of stored files: django-storages' S3Storage, with per-object headers."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage


class MediaS3Storage(S3Storage):
    """Writes the `content_type` and `content_disposition` that medialib.storage.save
    puts on the file as the object's Content-Type and Content-Disposition."""

    def _get_write_parameters(self, name: str, content: Any = None) -> dict[str, Any]:
        params = super()._get_write_parameters(name, content)
        content_type = getattr(content, "content_type", "")
        if content_type:
            params["ContentType"] = content_type
        disposition = getattr(content, "content_disposition", "")
        if disposition:
            params["ContentDisposition"] = disposition
        return params
