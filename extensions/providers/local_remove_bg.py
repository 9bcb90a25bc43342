"""Offline background removal with U²-Net-p, the model inside the `rembg` wheel.

The mask is the model's own foreground probability, scaled back to the picture. rembg's
`remove()` stretches each mask to span 0-255 before use, which turns a blank or plain
picture into a confident cut-out of nothing; reading the probabilities instead is what
lets this provider answer "no foreground" as remove.bg does.

The options are remove.bg's, as validated by `extensions.providers.removebg`. Those that
make sense offline are honoured: `bg_color`, `format` (zip gives a PNG, as the remove.bg
provider turns its zip into one), `crop`, `channels` and `semitransparency`. The others
(`add_shadow`, `size`, `type`, `roi`, ...) are ignored and listed in the result's details;
`bg_image_url` is refused, since the picture it asks for cannot be made offline.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
from PIL import Image, ImageColor

from extensions.offline.images import can_read, flatten, open_image
from extensions.offline_models import u2netp_session
from extensions.providers.base import ImageResult, Provider, ProviderError

MODEL = "u2netp"
MODEL_SIDE = 320
# rembg's normalisation for U²-Net (ImageNet statistics after scaling by the maximum).
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)
# Alpha below this (3%) is invisible haze around the subject; kept, it would defeat
# `crop` and the foreground box.
ALPHA_FLOOR = 8
_HANDLED = frozenset({"bg_color", "format", "crop", "channels", "semitransparency"})
_FORMATS = ("png", "jpg", "webp", "zip", "auto")
_HEX_COLOUR = re.compile(r"[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8}")


class LocalBackgroundRemover(Provider):
    name = "local-remove-bg"
    kind = "remove-bg"
    label = "Offline remover (U²-Net-p)"

    def supports(self, mime: str) -> bool:
        return can_read(mime)

    def run(self, image: bytes, mime: str, params: dict[str, Any]) -> ImageResult:
        options = params.get("options") or {}
        if options.get("bg_image_url"):
            raise _option_error(
                "bg_image_url is not supported by the offline remover", code="unsupported_option"
            )
        background = _parse_colour(options.get("bg_color"))
        output_format = str(options.get("format") or "png").lower()
        if output_format not in _FORMATS:
            raise _option_error(f"format {output_format!r} is not one of {', '.join(_FORMATS)}")
        alpha_only = str(options.get("channels") or "rgba").lower() == "alpha"

        picture = open_image(image)
        alpha = _foreground_alpha(picture)
        if "semitransparency" in options and not _flag(options["semitransparency"]):
            alpha = np.where(alpha >= 128, 255, 0).astype(np.uint8)
        if not np.any(alpha >= 128):
            # Not one pixel is more likely subject than background.
            raise ProviderError("No foreground found", code="no_foreground", permanent=True)
        box = Image.fromarray(alpha, "L").getbbox()

        if alpha_only:
            result = Image.fromarray(alpha, "L")
        else:
            result = picture.convert("RGB")
            result.putalpha(Image.fromarray(alpha, "L"))
            if background is not None:
                canvas = Image.new("RGBA", result.size, background)
                canvas.alpha_composite(result)
                result = canvas
        if _flag(options.get("crop")):
            result = result.crop(box)

        content, mime_out = _encode(result, output_format, background)
        left, top, right, bottom = box
        return ImageResult(
            content=content,
            mime=mime_out,
            details={
                "model": MODEL,
                "width": result.width,
                "height": result.height,
                "foreground": {
                    "left": left,
                    "top": top,
                    "width": right - left,
                    "height": bottom - top,
                },
                "foreground_share": round(float(np.count_nonzero(alpha >= 128)) / alpha.size, 4),
                "ignored_options": sorted(set(options) - _HANDLED),
            },
        )


def _foreground_alpha(picture: Image.Image) -> np.ndarray:
    """Return the foreground alpha (uint8, picture-sized); all zero when there is none."""
    rgb = flatten(picture)
    width, height = rgb.size
    low, high = zip(*rgb.getextrema(), strict=True)
    if low == high:
        # A uniform picture has no subject (and would make rembg divide by zero).
        return np.zeros((height, width), dtype=np.uint8)
    session = u2netp_session()
    # Shrinking first (with reduce() for large factors) leaves rembg's own resize a no-op.
    model_input = rgb.resize((MODEL_SIDE, MODEL_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    outputs = session.inner_session.run(
        None, session.normalize(model_input, _MEAN, _STD, (MODEL_SIDE, MODEL_SIDE))
    )
    probabilities = outputs[0][0, 0]
    mask = Image.fromarray(np.rint(np.clip(probabilities, 0, 1) * 255).astype(np.uint8), "L")
    alpha = np.asarray(mask.resize((width, height), Image.Resampling.LANCZOS), dtype=np.uint8)
    alpha = np.where(alpha < ALPHA_FLOOR, 0, alpha).astype(np.uint8)
    if picture.mode == "RGBA":
        # What was already transparent stays so.
        original = np.asarray(picture.getchannel("A"), dtype=np.uint16)
        alpha = (alpha.astype(np.uint16) * original // 255).astype(np.uint8)
    return alpha


def _encode(
    result: Image.Image, output_format: str, background: tuple[int, ...] | None
) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    if output_format == "webp":
        result.save(buffer, "WEBP", quality=90)
        return buffer.getvalue(), "image/webp"
    transparent = result.mode == "RGBA" and result.getchannel("A").getextrema()[0] < 255
    if output_format in ("png", "zip") or (output_format == "auto" and transparent):
        result.save(buffer, "PNG")
        return buffer.getvalue(), "image/png"
    if result.mode == "RGBA":
        # JPEG has no alpha: lay the cut-out on the requested colour, white by default.
        result = flatten(result, background[:3] if background else (255, 255, 255))
    result.save(buffer, "JPEG", quality=90)
    return buffer.getvalue(), "image/jpeg"


def _parse_colour(value: Any) -> tuple[int, ...] | None:
    """Return RGBA for remove.bg's `bg_color`: hex with or without '#', or a colour name."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if _HEX_COLOUR.fullmatch(text):
        text = f"#{text}"
    try:
        return tuple(ImageColor.getcolor(text, "RGBA"))
    except ValueError as exc:
        raise _option_error(f"bg_color {value!r} is not a colour") from exc


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _option_error(message: str, *, code: str = "invalid_option") -> ProviderError:
    return ProviderError(message, code=code, permanent=True)
