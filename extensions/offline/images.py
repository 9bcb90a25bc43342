"""Decoding uploaded bytes into the upright RGB(A) pictures the offline models read."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageOps

from extensions.providers.base import ProviderError

# Pillow raises more than OSError on damaged files (SyntaxError from some plugins,
# ValueError on bad headers, EOFError on truncated frames).
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)
# Pillow opens 16-bit greyscale PNG and TIFF files in these modes.
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


@cache
def _readable_mimes() -> frozenset[str]:
    Image.init()
    return frozenset(mime for mime in Image.MIME.values() if mime.startswith("image/"))


def can_read(mime: str) -> bool:
    """Return True when Pillow can decode images of this MIME type (not SVG, not HEIC)."""
    return mime in _readable_mimes()


def open_image(data: bytes, *, max_side: int | None = None) -> Image.Image:
    """Return the image as RGB, or RGBA when it has transparency, turned upright.

    With `max_side`, JPEGs are decoded at a reduced scale and the result is shrunk so
    that neither side exceeds it, which bounds the work on huge uploads. Undecodable
    bytes raise a permanent ProviderError.
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            if max_side:
                # draft() picks the largest JPEG DCT scale whose result still covers the
                # box on *both* sides, so the box must have the picture's aspect: a square
                # (max_side, max_side) box would keep a 4:3 picture at full size.
                img.draft("RGB", _fitted(img.size, max_side))
            img.load()
            upright = ImageOps.exif_transpose(img)
        picture = _to_rgb(upright)
        if max_side:
            # reducing_gap: block-average down to near the target before the filter, which
            # costs a fraction of a full antialiased resize and looks the same.
            picture.thumbnail((max_side, max_side), reducing_gap=2.0)
    except _DECODE_ERRORS as exc:
        raise ProviderError(
            "The file could not be read as an image", code="invalid_image", permanent=True
        ) from exc
    return picture


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in _SIXTEEN_BIT_MODES:
        # convert() would clip 16-bit samples at 255 and turn most of the picture white.
        img = img.convert("I").point(lambda v: v / 256).convert("L")
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    return img.convert("RGBA" if has_alpha else "RGB")


def flatten(
    picture: Image.Image, background: tuple[int, int, int] = (255, 255, 255)
) -> Image.Image:
    """Return an RGB picture, compositing transparency over `background` as a viewer would."""
    if picture.mode != "RGBA":
        return picture.convert("RGB")
    canvas = Image.new("RGBA", picture.size, (*background, 255))
    canvas.alpha_composite(picture)
    return canvas.convert("RGB")
