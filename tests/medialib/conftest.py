from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories import make_image_bytes

UPLOAD_URL = "/api/v1/files/upload"


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path) -> Path:
    """Each test stores its files in a directory of its own; returns it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
    return tmp_path / "media"


def stored_files(root: Path) -> list[str]:
    """The keys of the files stored under a FileSystemStorage root."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def upload(api_client: APIClient) -> Callable[..., Any]:
    """POST a multipart upload like the SDK: `file` as a binary part unless given as text."""

    def _upload(content: bytes | str | None = None, **fields: Any) -> Any:
        data: dict[str, Any] = {"fileName": "picture.png", **fields}
        if content is None:
            content = make_image_bytes()
        data["file"] = (
            content
            if isinstance(content, str)
            else SimpleUploadedFile("upload", content, "application/octet-stream")
        )
        return api_client.post(UPLOAD_URL, data, format="multipart")

    return _upload
