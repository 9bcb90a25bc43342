"""Inspection of uploaded bytes with Pillow: real type, size, integrity, metadata, thumbnail.

The type comes from the content, never from the name. Pixel limits come from
settings.MEDIALIB_MAX_IMAGE_PIXELS (decompression bombs are refused before
decoding); an image is decoded completely once, to make its thumbnail, so a
truncated or corrupt image is refused before anything is stored. JPEGs are
decoded at a reduced scale (`draft`), close to the thumbnail's size.
"""

from __future__ import annotations

import io
import logging
import math
import os
import warnings
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from PIL import ExifTags, Image, ImageOps, TiffImagePlugin, UnidentifiedImageError

from core.exceptions import BadRequest, PayloadTooLarge, UnsupportedMediaType

THUMBNAIL_SIZE = (256, 256)
# Formats accepted as images; anything Pillow could guess beyond these (TGA,
# raw formats without a signature) would misread arbitrary bytes as pictures.
# (A JPEG with several pictures opens as MPO through the JPEG plugin.)
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "AVIF")
FORMAT_NAMES = {"JPEG": "jpg", "MPO": "jpg", "TIFF": "tiff"}
FORMAT_MIMES = {"MPO": "image/jpeg", "ICO": "image/x-icon", "AVIF": "image/avif"}
# The short formats of what `inspect` reads as images (jpg, png, ...). Vector and
# other files (SVG, HEIC, PDF...) are non-images, whatever their MIME type says.
IMAGE_FORMATS = frozenset(FORMAT_NAMES.get(name, name.lower()) for name in ACCEPTED_FORMATS)
# Extensions that claim a raster image; such a name on other content is refused.
IMAGE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "bmp", "tif", "tiff", "ico", "avif"}
)
# Leading bytes of image formats, to tell a corrupt image from a non-image.
_IMAGE_MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)
# (offset, leading bytes, mime, format) of the common non-image files.
_FILE_SIGNATURES = (
    (0, b"%PDF-", "application/pdf", "pdf"),
    (0, b"PK\x03\x04", "application/zip", "zip"),
    (0, b"\x1f\x8b", "application/gzip", "gz"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", "7z"),
    (0, b"ID3", "audio/mpeg", "mp3"),
    (0, b"OggS", "audio/ogg", "ogg"),
    (0, b"fLaC", "audio/flac", "flac"),
    (0, b"\x1aE\xdf\xa3", "video/webm", "webm"),
    (8, b"WAVE", "audio/wav", "wav"),
    (8, b"AVI ", "video/x-msvideo", "avi"),
    (4, b"ftypqt", "video/quicktime", "mov"),
    (4, b"ftyphei", "image/heic", "heic"),
    (4, b"ftyp", "video/mp4", "mp4"),
)
_MAX_METADATA_TEXT = 2000
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thumbnail:
    content: bytes
    mime: str
    extension: str
    # The size the source was decoded at (smaller than the image for JPEG drafts).
    decoded_size: tuple[int, int]


@dataclass(frozen=True)
class Inspection:
    mime: str
    format: str
    width: int | None = None
    height: int | None = None
    has_alpha: bool = False
    embedded_metadata: dict[str, Any] = field(default_factory=dict)
    thumbnail: Thumbnail | None = None

    @property
    def is_image(self) -> bool:
        return is_image_format(self.format)


def is_image_format(format: str) -> bool:
    """Whether a short format (an inspection's, or a stored version's) is an image's."""
    return format in IMAGE_FORMATS


def name_extension(name: str) -> str:
    return os.path.splitext(name)[1].lstrip(".").lower()


def inspect(file: IO[bytes], *, name: str) -> Inspection:
    """Inspect the whole of `file`; raise 400/413/415 for what cannot be accepted.

    A name with an image extension (`.jpg`) on content that is no image (a
    PDF) is refused with 415 naming what the content really is.
    """
    file.seek(0)
    head = file.read(4096)
    file.seek(0)
    image = _open_image(file, head=head)
    if image is None:
        mime, short = sniff_non_image(head)
        extension = name_extension(name)
        if extension in IMAGE_EXTENSIONS:
            raise UnsupportedMediaType(
                f"The file name says .{extension} but the content is not an image "
                f"(it looks like {mime}). Upload the real image, or name the file for what it is."
            )
        return Inspection(mime=mime, format=short)
    with image:
        width, height = image.size
        inspection = Inspection(
            mime=FORMAT_MIMES.get(image.format, Image.MIME.get(image.format, "")),
            format=FORMAT_NAMES.get(image.format, image.format.lower()),
            width=width,
            height=height,
            has_alpha=_has_alpha(image),
            embedded_metadata=embedded_metadata(image),
            thumbnail=make_thumbnail(image),
        )
    return inspection


def _available_formats() -> list[str]:
    Image.init()
    return [name for name in ACCEPTED_FORMATS if name in Image.OPEN]


def _open_image(file: IO[bytes], *, head: bytes) -> Image.Image | None:
    max_pixels = settings.MEDIALIB_MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        # Pillow warns between the limit and twice it, and raises beyond: refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=_available_formats())
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _too_many_pixels() from None
        except UnidentifiedImageError:
            if head.startswith(_IMAGE_MAGIC) or head[8:12] == b"WEBP":
                raise BadRequest(
                    "The file looks like an image but cannot be read: it is corrupt or truncated."
                ) from None
            return None
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise BadRequest(f"The image cannot be read: {error}.") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise BadRequest("The image has no pixels.")
    if width * height > max_pixels:
        image.close()
        raise _too_many_pixels(width, height)
    return image


def _too_many_pixels(width: int | None = None, height: int | None = None) -> PayloadTooLarge:
    limit = settings.MEDIALIB_MAX_IMAGE_PIXELS
    size = f" ({width}x{height})" if width else ""
    return PayloadTooLarge(
        f"The image has too many pixels{size}: at most {limit} are accepted "
        "(decompression bomb protection)."
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def make_thumbnail(image: Image.Image) -> Thumbnail:
    """Decode `image` completely (JPEG at a reduced scale) into a thumbnail.

    Raises BadRequest when the image data is truncated or corrupt.
    """
    if image.format in ("JPEG", "MPO"):
        # Lets libjpeg decode at 1/2, 1/4 or 1/8 scale, still >= the thumbnail size. The
        # box is the thumbnail's own (256x192 for 4:3), not the square around it: a square
        # box would keep a 1024x768 picture at 1/2 and shrink it again after decoding.
        image.draft("RGB", _thumbnail_box(image.size))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise BadRequest(f"The image is truncated or corrupt: {error}.") from None
    decoded_size = image.size
    # Transposed, converted and shrunk in place where nothing needs a copy (the caller's
    # image is done with once its thumbnail is made).
    frame = image
    if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        frame = ImageOps.exif_transpose(image)
    alpha = _has_alpha(frame)
    mode = "RGBA" if alpha else "RGB"
    if frame.mode != mode:
        frame = frame.convert(mode)
    frame.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    if alpha:
        frame.save(buffer, format="PNG", optimize=True)
        return Thumbnail(buffer.getvalue(), "image/png", "png", decoded_size)
    frame.save(buffer, format="JPEG", quality=85)
    return Thumbnail(buffer.getvalue(), "image/jpeg", "jpg", decoded_size)


def _thumbnail_box(size: tuple[int, int]) -> tuple[int, int]:
    """The size of the thumbnail of a picture of `size`: within THUMBNAIL_SIZE, same aspect."""
    width, height = size
    scale = min(THUMBNAIL_SIZE[0] / width, THUMBNAIL_SIZE[1] / height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail_from_file(file: IO[bytes]) -> Thumbnail | None:
    """A thumbnail of a stored file, None if it is not an image."""
    head = file.read(4096)
    file.seek(0)
    image = _open_image(file, head=head)
    if image is None:
        return None
    with image:
        return make_thumbnail(image)


def sniff_non_image(head: bytes) -> tuple[str, str]:
    """(mime, short format) of content Pillow does not read as an image."""
    for offset, signature, mime, short in _FILE_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return mime, short
    if b"\x00" not in head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is still text.
            if error.start < len(head) - 4:
                return "application/octet-stream", ""
            text = head[: error.start].decode("utf-8")
        lowered = text.lstrip().lower()
        if lowered.startswith(("<svg", "<?xml")) and "<svg" in lowered:
            return "image/svg+xml", "svg"
        if lowered.startswith(("{", "[")):
            return "application/json", "json"
        return "text/plain", "txt"
    return "application/octet-stream", ""


def embedded_metadata(image: Image.Image) -> dict[str, Any]:
    """EXIF (with its Exif and GPS blocks) and text chunks, as JSON-safe values."""
    metadata: dict[str, Any] = {}
    try:
        exif = image.getexif()
    except Exception:  # Pillow raises many types on malformed EXIF; the image stays valid.
        exif = Image.Exif()
    for tag_id, value in exif.items():
        if tag_id in (ExifTags.Base.ExifOffset, ExifTags.Base.GPSInfo):
            continue
        _put(metadata, ExifTags.TAGS.get(tag_id, str(tag_id)), value)
    blocks = ((ExifTags.IFD.Exif, ExifTags.TAGS), (ExifTags.IFD.GPSInfo, ExifTags.GPSTAGS))
    for block, names in blocks:
        try:
            entries = exif.get_ifd(block)
        except Exception:  # as above: a broken block is skipped, not fatal.
            logger.info("Skipped an unreadable EXIF block %s", block)
            continue
        for tag_id, value in entries.items():
            _put(metadata, names.get(tag_id, str(tag_id)), value)
    for key, value in image.info.items():
        if key == "icc_profile":
            metadata["ICCProfile"] = bool(value)
        elif key == "dpi" and isinstance(value, tuple):
            metadata.setdefault("XResolution", _json_safe(value[0]))
            metadata.setdefault("YResolution", _json_safe(value[1]))
        elif isinstance(value, str) and key not in ("exif", "xmp"):
            _put(metadata, key, value)
    return metadata


def _put(metadata: dict[str, Any], name: str, value: Any) -> None:
    safe = _json_safe(value)
    if safe is not None:
        metadata[name.replace("\x00", "")] = safe


def _json_safe(value: Any, depth: int = 0) -> Any:
    """A JSON value (no NUL characters: PostgreSQL refuses them), or None to drop it."""
    if depth > 4:
        return None
    if isinstance(value, bool | int | str):
        if isinstance(value, str):
            text = value.replace("\x00", "").strip()
            return text[:_MAX_METADATA_TEXT] if text else None
        return value
    if isinstance(value, TiffImagePlugin.IFDRational | float):
        number = float(value)
        return round(number, 6) if math.isfinite(number) else None
    if isinstance(value, bytes):
        try:
            return _json_safe(value.decode("ascii"), depth) if value.isascii() else None
        except UnicodeDecodeError:
            return None
    if isinstance(value, tuple | list):
        items = [_json_safe(item, depth + 1) for item in value[:64]]
        return [item for item in items if item is not None] or None
    if isinstance(value, dict):
        items = {str(key): _json_safe(item, depth + 1) for key, item in list(value.items())[:64]}
        return {key: item for key, item in items.items() if item is not None} or None
    return None
