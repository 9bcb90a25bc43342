"""Stored bytes of versions and thumbnails, through Django's storage API.

Local disk by default, S3 (django-storages) when AWS_STORAGE_BUCKET_NAME is
set: settings.STORAGES["default"] decides, this module only names the keys.
Files are written by streaming their chunks; deletes wait for the commit of
the transaction that removed their rows.

On S3 (medialib.s3.MediaS3Storage) an object is stored with the content type
sniffed from its bytes, and a non-image with `Content-Disposition: attachment`,
so that the bucket never serves an uploaded HTML page as one; presigned URLs
repeat both as response overrides and may be given a shorter life.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction

from medialib.models import AssetVersion

logger = logging.getLogger(__name__)


def version_key(*, file_id: str, version_id: str, name: str) -> str:
    return f"files/{file_id}/{version_id}/{name}"


def thumbnail_key(*, file_id: str, version_id: str, extension: str) -> str:
    return f"thumbnails/{file_id}/{version_id}/thumbnail.{extension}"


ATTACHMENT = "attachment"


def save(*, key: str, content: IO[bytes], content_type: str = "", attachment: bool = False) -> str:
    """Store `content` (read in chunks) under `key`; return the key actually used.

    `content_type` and `attachment` become the object's headers where the storage
    keeps them (S3).
    """
    content.seek(0)
    file = File(content, name=key.rsplit("/", 1)[-1])
    file.content_type = content_type or "application/octet-stream"
    file.content_disposition = ATTACHMENT if attachment else ""
    return default_storage.save(key, file)


def open_version(version: AssetVersion) -> File:
    """The stored bytes of a version, opened for reading (close it, or use `with`)."""
    return default_storage.open(version.storage_key, "rb")


def open_key(key: str) -> File:
    return default_storage.open(key, "rb")


def is_local() -> bool:
    """True when files are on this machine's disk (served by streaming, not redirect)."""
    return isinstance(default_storage, FileSystemStorage)


def url_for_key(
    key: str, *, content_type: str = "", attachment: bool = False, expires_at: float | None = None
) -> str:
    """The storage's own URL of a key (S3: presigned, short-lived).

    The URL expires at `expires_at` (a Unix time) when that is sooner than the
    storage's own expiry, so a redirect never outlives the signed URL behind it.
    """
    if is_local():
        return default_storage.url(key)
    parameters = {}
    if content_type:
        parameters["ResponseContentType"] = content_type
    if attachment:
        parameters["ResponseContentDisposition"] = ATTACHMENT
    expire = getattr(default_storage, "querystring_expire", 3600)
    if expires_at is not None:
        expire = max(1, min(expire, int(expires_at - time.time())))
    return default_storage.url(key, parameters=parameters, expire=expire)


def walk(prefix: str) -> Iterator[str]:
    """Every stored key under a folder-like prefix ("files"), depth first."""
    try:
        folders, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}"
    for folder in folders:
        yield from walk(f"{prefix}/{folder}")


def modified_at(key: str) -> datetime | None:
    """When a stored object was last written (aware), or None if it is gone."""
    try:
        return default_storage.get_modified_time(key)
    except (FileNotFoundError, OSError):
        return None
    except Exception:  # S3: a missing key is a botocore ClientError
        if not default_storage.exists(key):
            return None
        raise


def delete_now(keys: Iterable[str]) -> None:
    """Delete stored objects, logging (not raising) failures: used for cleanups."""
    for key in keys:
        if not key:
            continue
        try:
            default_storage.delete(key)
        except Exception:
            logger.exception("Could not delete stored file %s", key)


def delete_on_commit(keys: Iterable[str]) -> None:
    """Delete stored objects once the current transaction commits (never if it rolls back)."""
    keys = [key for key in keys if key]
    transaction.on_commit(lambda: delete_now(keys))
