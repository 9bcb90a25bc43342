"""Embedded metadata is capped per file; GPS is left out of public files' details."""

from __future__ import annotations

import io
import json

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from medialib import images
from medialib.models import AssetVersion

pytestmark = pytest.mark.django_db


def png_with_text(chunks: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "navy").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Acme"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "navy").save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_file_with_thousands_of_text_chunks_keeps_a_bounded_number(settings):
    settings.MEDIALIB_METADATA_MAX_KEYS = 50
    content = png_with_text({f"key{index}": "x" for index in range(5000)})

    metadata = images.inspect(io.BytesIO(content), name="many.png").embedded_metadata

    assert len(metadata) == 50


def test_the_metadata_kept_is_bounded_in_size(settings):
    settings.MEDIALIB_METADATA_MAX_BYTES = 10_000
    content = png_with_text({f"key{index}": "y" * 1900 for index in range(100)})

    metadata = images.inspect(io.BytesIO(content), name="big.png").embedded_metadata

    assert 3 <= len(metadata) < 100
    assert len(json.dumps(metadata).encode()) <= 10_000


def test_gps_is_left_out_of_a_public_files_details(upload, api_client, settings):
    response = upload(jpeg_with_gps(), fileName="where.jpg")
    assert response.status_code == 200, response.content
    stored = AssetVersion.objects.get().embedded_metadata
    assert stored["GPSLatitudeRef"] == "N"  # kept, for when the file is made private

    details = api_client.get(f"/v1/files/{response.json()['fileId']}/details").json()

    assert details["embeddedMetadata"]["Make"] == "Acme"
    assert not [key for key in details["embeddedMetadata"] if key.startswith("GPS")]


def test_private_files_and_the_opt_out_keep_gps(upload, api_client, settings):
    def metadata(**fields):
        file_id = upload(jpeg_with_gps(), **fields).json()["fileId"]
        return api_client.get(f"/v1/files/{file_id}/details").json()["embeddedMetadata"]

    assert metadata(fileName="p.jpg", isPrivateFile="true")["GPSLatitudeRef"] == "N"
    settings.MEDIALIB_STRIP_GPS_FROM_PUBLIC_FILES = False
    assert metadata(fileName="q.jpg")["GPSLatitudeRef"] == "N"
