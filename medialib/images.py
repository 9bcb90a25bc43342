"""Inspection of uploaded bytes: real type, size, integrity, metadata, thumbnail.

The type comes from the content, never from the name. Pixel limits come from
settings.MEDIALIB_MAX_IMAGE_PIXELS (decompression bombs are refused before
decoding); an image is decoded completely once, to make its thumbnail, so a
truncated or corrupt image is refused before anything is stored. Pillow reads
the headers and metadata. A decode of up to settings.MEDIALIB_LARGE_DECODE_PIXELS
(JPEGs decoded at a reduced scale, `draft`, close to the thumbnail's size) is
Pillow's, in memory: for small pictures its per-call cost is a third of
libvips'. A larger one is streamed by libvips with shrink-on-load, so memory
stays flat whatever the size (a 100-megapixel PNG: tens of MB, not 400), and
takes one of a few process-wide slots (settings.MEDIALIB_LARGE_DECODE_CONCURRENCY)
so that many at once cannot exhaust the CPU, nor memory where a format cannot be
streamed (interlaced PNG, progressive JPEG, BMP). The decoded source is never
copied at full size: only the small thumbnail is converted and turned upright.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from PIL import ExifTags, Image, TiffImagePlugin, UnidentifiedImageError

from core.exceptions import BadRequest, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType

THUMBNAIL_SIZE = (256, 256)
# Formats accepted as images; anything Pillow could guess beyond these (TGA,
# raw formats without a signature) would misread arbitrary bytes as pictures.
# (A JPEG with several pictures opens as MPO through the JPEG plugin.)
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "AVIF")
FORMAT_NAMES = {"JPEG": "jpg", "MPO": "jpg", "TIFF": "tiff"}
FORMAT_MIMES = {"MPO": "image/jpeg", "ICO": "image/x-icon", "AVIF": "image/avif"}
# What libvips streams; others (BMP, ICO) are decoded by Pillow whatever their size.
_STREAMED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP", "TIFF", "AVIF"})
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


def thumbnail_mime(extension: str) -> str:
    """The type of a stored thumbnail, from its extension (png or jpg)."""
    return "image/png" if extension == "png" else "image/jpeg"


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
        if mime == "image/svg+xml":
            _refuse_active_svg(file)
        if extension in IMAGE_EXTENSIONS:
            raise UnsupportedMediaType(
                f"The file name says .{extension} but the content is not an image "
                f"(it looks like {mime}). Upload the real image, or name the file for what it is."
            )
        return Inspection(mime=mime, format=short)
    with image:
        _refuse_hostile_structure(image, file)
        width, height = image.size
        mime = FORMAT_MIMES.get(image.format, Image.MIME.get(image.format, ""))
        has_alpha = _has_alpha(image)
        # The thumbnail first: Pillow's decode also reads a PNG's chunks after its
        # pixels, which the metadata then includes.
        thumbnail = make_thumbnail(image, file)
        inspection = Inspection(
            mime=mime,
            format=FORMAT_NAMES.get(image.format, image.format.lower()),
            width=width,
            height=height,
            has_alpha=has_alpha,
            embedded_metadata=embedded_metadata(image),
            thumbnail=thumbnail,
        )
    return inspection


# SVG is served as it is, so one that can run code or fetch from elsewhere when
# opened (scripts, event handlers, entities, external references) is refused.
_SVG_ACTIVE = re.compile(
    rb"<script|<!entity|<!doctype|<foreignobject|\son[a-z]+\s*=|javascript:"
    rb"|(?:xlink:)?href\s*=\s*[\"']\s*(?!#|data:image/)"
    rb"|url\(\s*[\"']?\s*(?!#)",
    re.IGNORECASE,
)


def _refuse_active_svg(file: IO[bytes]) -> None:
    file.seek(0)
    content = file.read()
    file.seek(0)
    if _SVG_ACTIVE.search(content):
        raise UnsupportedMediaType(
            "SVG files with scripts, event handlers, entities or external references are "
            "not accepted."
        )


def _refuse_hostile_structure(image: Image.Image, file: IO[bytes]) -> None:
    """Refuse images built to exhaust: thousands of frames, megabytes of metadata."""
    frames = getattr(image, "n_frames", 1)
    limit = settings.MEDIALIB_MAX_IMAGE_FRAMES
    if frames > limit:
        raise PayloadTooLarge(f"The image has {frames} frames: at most {limit} are accepted.")
    metadata = _metadata_bytes(image, file)
    limit = settings.MEDIALIB_MAX_IMAGE_METADATA_BYTES
    if metadata > limit:
        raise PayloadTooLarge(
            f"The image carries {metadata} bytes of metadata: at most {limit} are accepted."
        )


def _metadata_bytes(image: Image.Image, file: IO[bytes]) -> int:
    """Bytes of JPEG APPn/COM segments before the image data, or PNG ancillary text."""
    if image.format in ("JPEG", "MPO"):
        file.seek(2)
        total = 0
        while True:
            marker = file.read(4)
            if len(marker) < 4 or marker[0] != 0xFF or marker[1] == 0xDA:
                break
            length = int.from_bytes(marker[2:4], "big")
            if 0xE0 <= marker[1] <= 0xEF or marker[1] == 0xFE:
                total += length
            file.seek(length - 2, os.SEEK_CUR)
        file.seek(0)
        return total
    if image.format == "PNG":
        return sum(len(v) for v in image.info.values() if isinstance(v, str | bytes))
    return 0


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
            logger.info("Refused an unreadable image: %s", error)
            raise BadRequest("The image cannot be read: it is corrupt or unsupported.") from None
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


_decode_slots_lock = threading.Lock()
_decode_slots: tuple[int, threading.BoundedSemaphore] | None = None


def large_decode_slots() -> threading.BoundedSemaphore:
    """The process-wide semaphore that large decodes share, sized by the setting."""
    global _decode_slots
    size = max(1, settings.MEDIALIB_LARGE_DECODE_CONCURRENCY)
    with _decode_slots_lock:
        if _decode_slots is None or _decode_slots[0] != size:
            _decode_slots = (size, threading.BoundedSemaphore(size))
        return _decode_slots[1]


@contextmanager
def _large_decode_slot(size: tuple[int, int]) -> Iterator[None]:
    """Hold one of the large-decode slots; ServiceUnavailable when none frees up in time."""
    slots = large_decode_slots()
    if not slots.acquire(timeout=max(0.0, settings.MEDIALIB_LARGE_DECODE_WAIT)):
        logger.warning("No free slot to decode a %dx%d image", *size)
        raise ServiceUnavailable(
            "The server is decoding other large images; try again in a moment."
        )
    try:
        yield
    finally:
        slots.release()


def _decode(image: Image.Image) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            logger.info("Refused a corrupt image: %s", error)
            raise BadRequest("The image is truncated or corrupt.") from None


def make_thumbnail(image: Image.Image, file: IO[bytes]) -> Thumbnail:
    """Decode `image` (opened by Pillow from `file`) completely into a thumbnail.

    Raises BadRequest when the image data is truncated or corrupt, and
    ServiceUnavailable when no slot for a large decode frees up in time.
    """
    if image.format in ("JPEG", "MPO"):
        # Lets libjpeg decode at 1/2, 1/4 or 1/8 scale, still >= the thumbnail size. The
        # box is the thumbnail's own (256x192 for 4:3), not the square around it: a square
        # box would keep a 1024x768 picture at 1/2 and shrink it again after decoding.
        image.draft("RGB", _fit(image.size, THUMBNAIL_SIZE))
    decoded_size = image.size
    alpha = _has_alpha(image)
    mode = "RGBA" if alpha else "RGB"
    large = decoded_size[0] * decoded_size[1] > settings.MEDIALIB_LARGE_DECODE_PIXELS
    with _large_decode_slot(decoded_size) if large else nullcontext():
        if large and image.format in _STREAMED_FORMATS:
            frame = _streamed_reduction(file)
        else:
            _decode(image)
            frame = _reduction(image, mode)
    frame.thumbnail(THUMBNAIL_SIZE)
    if frame.mode != mode:
        frame = frame.convert(mode)
    method = _ORIENTATIONS.get(_orientation(image))
    if method is not None:
        frame = frame.transpose(method)
    buffer = io.BytesIO()
    if alpha:
        frame.save(buffer, format="PNG", optimize=True)
        return Thumbnail(buffer.getvalue(), "image/png", "png", decoded_size)
    frame.save(buffer, format="JPEG", quality=85)
    return Thumbnail(buffer.getvalue(), "image/jpeg", "jpg", decoded_size)


def _reduction(image: Image.Image, mode: str) -> Image.Image:
    """A decoded image reduced to the thumbnail's size, without a copy at full size."""
    frame = image
    if frame.mode in ("P", "1"):
        # These resize by nearest neighbour only: cut down to a few times the
        # thumbnail's size, then convert the small copy for a proper filter.
        if max(frame.size) > 4 * max(THUMBNAIL_SIZE):
            intermediate = _fit(frame.size, (4 * THUMBNAIL_SIZE[0], 4 * THUMBNAIL_SIZE[1]))
            frame = frame.resize(intermediate, Image.Resampling.NEAREST)
        return frame.convert(mode)
    try:
        return frame.resize(
            _fit(frame.size, THUMBNAIL_SIZE), Image.Resampling.LANCZOS, reducing_gap=3.0
        )
    except ValueError:  # a mode Pillow cannot resize: convert, then resize.
        return frame.convert(mode)


def _streamed_reduction(file: IO[bytes]) -> Image.Image:
    """The image in `file` reduced to the thumbnail's size by libvips, as a Pillow image.

    libvips reads the file in chunks and decodes with shrink-on-load, row by row;
    a truncated or corrupt image fails (`fail_on`) as Pillow's decode would. It
    leaves the image as stored (`no_rotate`): orientation, like the encoding, is
    then done as for Pillow's decodes.
    """
    from medialib.renderer import pyvips  # libvips, with its INFO chatter silenced there

    file.seek(0)
    source = pyvips.SourceCustom()
    source.on_read(lambda length: file.read(length))
    source.on_seek(lambda offset, whence: file.seek(offset, whence))
    try:
        reduced = pyvips.Image.thumbnail_source(
            source,
            THUMBNAIL_SIZE[0],
            height=THUMBNAIL_SIZE[1],
            size="down",
            no_rotate=True,
            # For the loader: thumbnail's own `fail_on` does not reach it.
            option_string="fail_on=error",
        )
        if reduced.interpretation != "srgb" or reduced.format != "uchar":
            reduced = reduced.colourspace("srgb").cast("uchar")
        pixels = reduced.write_to_memory()
    except pyvips.Error as error:
        logger.info("Refused a corrupt image: %s", str(error).splitlines()[0])
        raise BadRequest("The image is truncated or corrupt.") from None
    mode = "RGBA" if reduced.bands == 4 else "RGB"
    return Image.frombytes(mode, (reduced.width, reduced.height), pixels)


_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int | None:
    try:
        return _exif(image).get(ExifTags.Base.Orientation)
    except Exception:  # malformed EXIF: the image is shown as stored.
        return None


def _exif(image: Image.Image) -> Image.Exif:
    """The image's EXIF, without decoding pixels Pillow has not decoded.

    A PNG's own `getexif()` decodes the whole image to reach the chunks after its
    pixels; one streamed by libvips is read from the chunks before them, where the
    PNG specification puts eXIf.
    """
    if image.format == "PNG" and image.tile:
        return Image.Image.getexif(image)
    return image.getexif()


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled down (never up) to fit in `box`, keeping its aspect ratio."""
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def thumbnail_from_file(file: IO[bytes]) -> Thumbnail | None:
    """A thumbnail of a stored file, made as on upload; None if it is not an image."""
    head = file.read(4096)
    file.seek(0)
    image = _open_image(file, head=head)
    if image is None:
        return None
    # `with`, not close(): close() would close the caller's file too.
    with image:
        return make_thumbnail(image, file)


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
    """EXIF (with its Exif and GPS blocks) and text chunks, as JSON-safe values.

    At most settings.MEDIALIB_METADATA_MAX_KEYS entries and
    MEDIALIB_METADATA_MAX_BYTES of JSON are kept: the first ones read (the main EXIF
    block first), then entries that would cross the size are dropped.
    """
    return _capped(_read_metadata(image))


def _capped(metadata: dict[str, Any]) -> dict[str, Any]:
    max_keys = settings.MEDIALIB_METADATA_MAX_KEYS
    max_bytes = settings.MEDIALIB_METADATA_MAX_BYTES
    kept: dict[str, Any] = {}
    total = 2  # the braces
    for key, value in metadata.items():
        if len(kept) >= max_keys:
            break
        size = len(json.dumps({key: value}, ensure_ascii=False).encode()) - 1  # a comma
        if total + size > max_bytes:
            continue
        kept[key] = value
        total += size
    if len(kept) < len(metadata):
        logger.info("Kept %d of %d embedded metadata entries", len(kept), len(metadata))
    return kept


def is_gps_key(key: str) -> bool:
    """Whether an embedded metadata entry is a GPS one (EXIF's GPS block: GPSLatitude...)."""
    return key.startswith("GPS")


def visible_metadata(metadata: dict[str, Any], *, is_private: bool) -> dict[str, Any]:
    """The embedded metadata the API shows: without GPS for a public file when
    settings.MEDIALIB_STRIP_GPS_FROM_PUBLIC_FILES is on."""
    if is_private or not settings.MEDIALIB_STRIP_GPS_FROM_PUBLIC_FILES:
        return metadata
    return {key: value for key, value in metadata.items() if not is_gps_key(key)}


def _read_metadata(image: Image.Image) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    try:
        exif = _exif(image)
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
