"""medialib.images: type from content, integrity, metadata and thumbnails."""

from __future__ import annotations

import io
import json

import pytest
from PIL import ExifTags, Image

from core.exceptions import BadRequest, UnsupportedMediaType
from medialib import images
from tests.factories import make_image_bytes


def jpeg(size: tuple[int, int], **save_options) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, format="JPEG", **save_options)
    buffer.seek(0)
    return buffer


def test_jpeg_thumbnails_are_decoded_at_a_reduced_scale():
    inspection = images.inspect(jpeg((4000, 3000)), name="big.jpg")

    thumbnail = inspection.thumbnail
    assert (inspection.width, inspection.height) == (4000, 3000)
    # libjpeg decoded 1/8 of each side, still covering the 256 px thumbnail.
    assert thumbnail.decoded_size == (500, 375)
    assert Image.open(io.BytesIO(thumbnail.content)).size == (256, 192)
    assert thumbnail.mime == "image/jpeg"


def test_png_thumbnails_keep_transparency():
    inspection = images.inspect(
        io.BytesIO(make_image_bytes((300, 100), (0, 0, 0, 0), mode="RGBA")), name="a.png"
    )

    assert inspection.has_alpha is True
    assert inspection.thumbnail.mime == "image/png"
    assert Image.open(io.BytesIO(inspection.thumbnail.content)).mode == "RGBA"


def test_embedded_metadata_is_json_safe():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Acme\x00"
    exif[ExifTags.Base.XResolution] = 72.0
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.ExposureTime] = 0.004
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.MakerNote] = b"\x00\x01\xffbinary"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"

    metadata = images.inspect(jpeg((50, 50), exif=exif), name="e.jpg").embedded_metadata

    assert metadata["Make"] == "Acme"
    assert metadata["XResolution"] == 72.0
    assert metadata["ExposureTime"] == 0.004
    assert metadata["GPSLatitudeRef"] == "N"
    assert "MakerNote" not in metadata
    assert "\\u0000" not in json.dumps(metadata)


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"PK\x03\x04rest", "application/zip"),
        (b"hello, world\n", "text/plain"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        (bytes(range(256)), "application/octet-stream"),
    ],
)
def test_non_images_get_a_sniffed_mime(content, mime):
    inspection = images.inspect(io.BytesIO(content), name="file.bin")

    assert (inspection.is_image, inspection.mime, inspection.thumbnail) == (False, mime, None)


def test_an_image_name_on_text_is_refused():
    with pytest.raises(UnsupportedMediaType, match="text/plain"):
        images.inspect(io.BytesIO(b"just text"), name="photo.PNG")


def test_a_png_signature_with_garbage_is_corrupt_not_a_non_image():
    with pytest.raises(BadRequest, match="corrupt"):
        images.inspect(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50), name="x.bin")


@pytest.mark.parametrize("fmt", ["WEBP", "GIF", "BMP", "TIFF"])
def test_other_image_formats_are_recognised(fmt):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, format=fmt)
    buffer.seek(0)

    inspection = images.inspect(buffer, name="no-extension")

    assert inspection.is_image
    assert (inspection.width, inspection.height) == (20, 10)
    assert inspection.mime == Image.MIME[fmt]
