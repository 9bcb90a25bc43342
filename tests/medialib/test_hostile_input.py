"""A corpus of hostile input, on every endpoint that takes it: a clear 4xx, nothing stored."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from medialib.models import Asset, AssetVersion, Folder
from tests.factories import make_image_bytes
from tests.medialib.conftest import UPLOAD_URL, stored_files
from tests.reliability.stack import REPORT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _counted() -> None:
    REPORT.inputs += 1


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` x `height` (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = zlib.compress(row * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    )


def gif_claiming(width: int, height: int) -> bytes:
    raw = bytearray(make_image_bytes(fmt="GIF", size=(2, 2)))
    raw[6:10] = struct.pack("<HH", width, height)
    descriptor = raw.index(b"\x2c")
    raw[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(raw)


def webp_claiming(width: int, height: int) -> bytes:
    raw = bytearray(make_image_bytes(fmt="WEBP", size=(2, 2)))
    vp8x = struct.pack("<I", 10) + b"\x00" * 4 + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    return bytes(raw[:12] + b"VP8X" + vp8x + raw[12:])


def truncated(fmt: str) -> bytes:
    content = make_image_bytes(fmt=fmt, size=(300, 300))
    return content[: len(content) // 2]


def huge_exif_jpeg() -> bytes:
    image = Image.new("RGB", (8, 8))
    exif = Image.Exif()
    exif[0x010E] = "A" * 65_000  # ImageDescription: an APP1 segment at its limit
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    content = buffer.getvalue()
    # Repeated APP1 segments: megabytes of metadata around eight pixels.
    start = content.index(b"\xff\xe1")
    length = struct.unpack(">H", content[start + 2 : start + 4])[0]
    segment = content[start : start + 2 + length]
    return content[:start] + segment * 60 + content[start + len(segment) :]


def many_frames_gif(frames: int = 3000) -> bytes:
    images = []
    for index in range(frames):
        frame = Image.new("L", (4, 4), 0)
        frame.putpixel((index % 4, (index // 4) % 4), 255)
        images.append(frame)
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=10)
    return buffer.getvalue()


SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SVG_EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<image xlink:href="http://169.254.169.254/latest/meta-data/"/>&x;</svg>'
)

HOSTILE_FILES = {
    "png-bomb": ("bomb.png", lambda: png_claiming(60_000, 60_000)),
    "gif-bomb": ("bomb.gif", lambda: gif_claiming(65_535, 65_535)),
    "webp-bomb": ("bomb.webp", lambda: webp_claiming(16_384, 16_384)),
    "16k-by-16k": ("big.png", lambda: png_claiming(16_384, 16_384)),
    "truncated-jpeg": ("cut.jpg", lambda: truncated("JPEG")),
    "truncated-png": ("cut.png", lambda: truncated("PNG")),
    "zero-bytes": ("empty.png", lambda: b""),
    "wrong-extension": ("document.jpg", lambda: b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF"),
    "svg-script": ("script.svg", lambda: SVG_SCRIPT),
    "svg-external": ("external.svg", lambda: SVG_EXTERNAL),
    "huge-exif": ("exif.jpg", huge_exif_jpeg),
    "thousands-of-frames": ("frames.gif", many_frames_gif),
}


def _nothing_stored(media_storage) -> None:
    assert not Asset.objects.exists()
    assert not AssetVersion.objects.exists()
    assert stored_files(media_storage) == []


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_hostile_file_is_refused_with_a_clear_4xx_and_nothing_stored(
    api_client, media_storage, case
) -> None:
    name, build = HOSTILE_FILES[case]
    response = api_client.post(
        UPLOAD_URL,
        {"fileName": name, "file": SimpleUploadedFile(name, build(), "application/octet-stream")},
        format="multipart",
    )
    assert 400 <= response.status_code < 500, (case, response.status_code, response.content[:300])
    assert response.json()["message"]
    _nothing_stored(media_storage)


HOSTILE_NAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "a\x00b.png",
    "x" * 2000 + ".png",
    "evil\u202egnp.exe",
    "..",
    "",
]
HOSTILE_FOLDERS = ["../..", "/a/../../b", "a\x00b", "/" + "f/" * 600, "/\u202eevil"]


UNSAFE = ("/", "\\", "\x00", "\u202e")


def _refused_or_made_harmless(response, media_storage) -> None:
    """A clear 4xx with nothing stored, or ImageKit's rule: unsafe characters become "_"."""
    if 400 <= response.status_code < 500:
        _nothing_stored(media_storage)
        return
    assert response.status_code == 200, response.status_code
    asset = Asset.objects.get()
    assert not any(c in asset.name for c in UNSAFE) and not asset.name.startswith("..")
    assert not any(c in asset.file_path for c in UNSAFE[1:])
    assert ".." not in asset.file_path.split("/")
    for key in stored_files(media_storage):
        assert ".." not in key and "\u202e" not in key


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_file_name_is_refused_or_made_harmless(api_client, media_storage, name) -> None:
    response = api_client.post(
        UPLOAD_URL,
        {"fileName": name, "file": SimpleUploadedFile("f", make_image_bytes())},
        format="multipart",
    )
    _refused_or_made_harmless(response, media_storage)


@pytest.mark.parametrize("folder", HOSTILE_FOLDERS)
def test_a_hostile_folder_is_refused_or_made_harmless(api_client, media_storage, folder) -> None:
    response = api_client.post(
        UPLOAD_URL,
        {
            "fileName": "ok.png",
            "folder": folder,
            "file": SimpleUploadedFile("f", make_image_bytes()),
        },
        format="multipart",
    )
    _refused_or_made_harmless(response, media_storage)
    if response.status_code >= 400:
        assert not Folder.objects.exclude(path="/").exists()


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE_FIELDS = {
    "extensions-deep": {"extensions": _deep(5000)},
    "extensions-huge-array": {"extensions": json.dumps([{"name": "remove-bg"}] * 5000)},
    "extensions-wrong-type": {"extensions": json.dumps({"name": 1})},
    "extensions-wrong-item": {"extensions": json.dumps([1, "x", None])},
    "custom-metadata-deep": {"customMetadata": '{"a":' * 3000 + "1" + "}" * 3000},
    "custom-metadata-array": {"customMetadata": json.dumps(list(range(100_000)))},
    "custom-metadata-string": {"customMetadata": '"just a string"'},
    "tags-huge": {"tags": ",".join(f"t{i}" for i in range(20_000))},
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FIELDS))
def test_hostile_json_in_upload_fields_is_refused(api_client, media_storage, case) -> None:
    response = api_client.post(
        UPLOAD_URL,
        {
            "fileName": "ok.png",
            "file": SimpleUploadedFile("f", make_image_bytes()),
            **HOSTILE_FIELDS[case],
        },
        format="multipart",
    )
    assert 400 <= response.status_code < 500, (case, response.status_code, response.content[:200])
    _nothing_stored(media_storage)


BULK = [
    ("post", "/v1/files/addTags"),
    ("post", "/v1/files/removeTags"),
    ("post", "/v1/files/batch/deleteByFileIds"),
    ("post", "/v1/files/copy"),
    ("post", "/v1/files/move"),
    ("put", "/v1/files/rename"),
    ("post", "/v1/folder"),
]
BODIES = {
    "deep": _deep(20_000),
    "huge-array": json.dumps({"fileIds": ["x" * 24] * 200_000, "tags": ["t"] * 10}),
    "wrong-types": json.dumps({"fileIds": {"a": 1}, "tags": 5, "sourceFilePath": [1]}),
    "not-an-object": json.dumps([1, 2, 3]),
    "nul": '{"fileIds": ["\\u0000"], "tags": ["\\u0000"]}',
}


@pytest.mark.parametrize("method,path", BULK)
@pytest.mark.parametrize("body", sorted(BODIES))
def test_hostile_json_bodies_are_refused(api_client, media_storage, method, path, body) -> None:
    response = getattr(api_client, method)(path, BODIES[body], content_type="application/json")
    assert 400 <= response.status_code < 500, (path, body, response.status_code)
    assert response.json()["message"]
