"""Rendering parsed transformations (medialib.transformations) with libvips.

Why libvips: it streams with shrink-on-load, so a 400-pixel rendition of a
100-megapixel PNG needs tens of megabytes, not the whole decoded image. The
first step of a chain, when it is a plain resize, goes through
`pyvips.Image.thumbnail` (shrink-on-load); other steps work on the lazy pipeline.

Semantics follow ImageKit's "Resize and crop images": with one of `w`/`h` the
other follows the aspect ratio; with both, the default `c-maintain_ratio` gives
exactly w x h, scaled to cover and cropped at the focus (centre by default);
`c-force` squeezes; `c-at_max` fits inside without enlarging (`c-at_max_enlarge`
enlarges); `c-at_least` covers without cropping; `cm-pad_resize` fits and pads
with `bg`; `cm-extract` cuts a w x h region at `x`/`y`, `xc`/`yc` or `fo`;
`cm-pad_extract` pads where that region exceeds the image.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import pyvips
from django.conf import settings

from core.exceptions import BadRequest, PayloadTooLarge
from medialib.transformations import Step, output_format_request

# What the renderer writes, and the formats kept as they are when no `f-` is asked.
MIMES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
}
_RESIZE_KEYS = frozenset({"w", "h", "ar", "c", "dpr", "fo"})
_DEFAULT_QUALITY = 80
_DEFAULT_BACKGROUND = "FFFFFF"
# libvips narrates every operation at INFO: keep its warnings only.
logging.getLogger("pyvips").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Rendered:
    content: bytes
    mime: str
    extension: str
    width: int
    height: int


def output_format(steps: list[Step], *, source_format: str, accept: str = "") -> str:
    """The format a rendition is written in: `f-`, `f-auto` from `Accept`, else the source's."""
    requested = output_format_request(steps)
    default = source_format if source_format in MIMES else "png"
    if requested == "auto":
        if "image/avif" in accept:
            return "avif"
        if "image/webp" in accept:
            return "webp"
        return default
    if requested in ("", "orig"):
        return default
    return requested


def _colour(hex_colour: str, bands: int) -> list[float]:
    values = [int(hex_colour[i : i + 2], 16) for i in range(0, len(hex_colour), 2)]
    rgb, alpha = values[:3], values[3] if len(values) == 4 else 255
    return [*rgb, alpha] if bands == 4 else rgb


def _check_pixels(width: int, height: int) -> None:
    limit = settings.MEDIALIB_MAX_RENDITION_PIXELS
    if width * height > limit:
        raise BadRequest(
            f"The transformation asks for {width}x{height} pixels: at most {limit} are rendered.",
            reason="RENDITION_TOO_LARGE",
        )


def _size(value: str | None, original: int) -> int | None:
    if value is None:
        return None
    number = float(value)
    return max(1, round(number * original)) if number < 1 else int(number)


def _target(step: Step, width: int, height: int) -> tuple[int | None, int | None]:
    """The w and h a step asks for (fractions, `ar` and `dpr` applied)."""
    w, h = _size(step.get("w"), width), _size(step.get("h"), height)
    if "ar" in step and (w is None) != (h is None):
        ratio_w, ratio_h = (float(part) for part in step["ar"].split("-"))
        if w is not None:
            h = max(1, round(w * ratio_h / ratio_w))
        else:
            w = max(1, round(h * ratio_w / ratio_h))  # type: ignore[operator]
    dpr = float(step.get("dpr", "1"))
    if dpr != 1:
        w = None if w is None else max(1, round(w * dpr))
        h = None if h is None else max(1, round(h * dpr))
    return w, h


def _scaled_size(step: Step, width: int, height: int) -> tuple[int, int, bool]:
    """(width, height, crop to the target afterwards) of a resize step without `cm`."""
    w, h = _target(step, width, height)
    crop = step.get("c", "maintain_ratio")
    if w is None and h is None:
        return width, height, False
    if w is None or h is None:
        scale = w / width if w is not None else h / height  # type: ignore[operator]
        if crop == "at_max":
            scale = min(scale, 1.0)
        if crop == "force":
            return (w or width), (h or height), False
        return max(1, round(width * scale)), max(1, round(height * scale)), False
    if crop == "force":
        return w, h, False
    if crop in ("at_max", "at_max_enlarge"):
        scale = min(w / width, h / height)
        if crop == "at_max":
            scale = min(scale, 1.0)
        return max(1, round(width * scale)), max(1, round(height * scale)), False
    scale = max(w / width, h / height)
    if crop == "at_least":
        return max(1, round(width * scale)), max(1, round(height * scale)), False
    return w, h, True


def _is_plain_resize(step: Step) -> bool:
    return bool({"w", "h"} & step.keys()) and step.keys() <= _RESIZE_KEYS | {
        "f",
        "q",
        "pr",
        "lo",
        "md",
    }


def _oriented_size(path: str) -> tuple[int, int]:
    header = pyvips.Image.new_from_file(path)
    width, height = header.width, header.height
    orientation = header.get("orientation") if "orientation" in header.get_fields() else 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _load(path: str, first: Step | None) -> tuple[pyvips.Image, bool]:
    """The source as a pipeline, and whether `first` was already applied (shrink-on-load)."""
    width, height = _oriented_size(path)
    if width * height > settings.MEDIALIB_MAX_IMAGE_PIXELS:
        raise PayloadTooLarge(
            f"The image has too many pixels ({width}x{height}) to be transformed."
        )
    focus = (first or {}).get("fo", "center")
    if first is not None and _is_plain_resize(first) and focus in ("center", "auto"):
        tw, th, crop = _scaled_size(first, width, height)
        _check_pixels(tw, th)
        if crop:
            interesting = "attention" if focus == "auto" else "centre"
            image = pyvips.Image.thumbnail(path, tw, height=th, crop=interesting)
        else:
            image = pyvips.Image.thumbnail(path, tw, height=th, size="force")
        return _normalise(image), True
    image = pyvips.Image.new_from_file(path, access="random").autorot()
    return _normalise(image), False


def _normalise(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB (with alpha when present), whatever the source's colour space and depth."""
    if image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
        if image.format != "uchar":
            image = image.cast("uchar")
    if image.bands == 2:
        image = image[0].bandjoin([image[0], image[0], image[1]])
    elif image.bands == 1:
        image = image.bandjoin([image, image])
    return image


def _has_alpha(image: pyvips.Image) -> bool:
    return image.bands == 4


def _resize_exact(image: pyvips.Image, width: int, height: int) -> pyvips.Image:
    if (image.width, image.height) == (width, height):
        return image
    image = image.resize(width / image.width, vscale=height / image.height)
    # Rounding in resize may leave a pixel more or less: cut or extend to the exact size.
    if (image.width, image.height) != (width, height):
        image = image.embed(0, 0, width, height, extend="copy")
    return image


def _focus_offset(focus: str, free_x: int, free_y: int) -> tuple[int, int]:
    left = 0 if "left" in focus else free_x if "right" in focus else free_x // 2
    top = 0 if "top" in focus else free_y if "bottom" in focus else free_y // 2
    return left, top


@functools.cache
def _face_cascade():  # type: ignore[no-untyped-def]
    import cv2  # imported on first use: only `fo-face` needs OpenCV

    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")


def _face_centre(image: pyvips.Image) -> tuple[int, int] | None:
    """The centre of the largest face (OpenCV's Haar cascade), or None."""
    scale = min(1.0, 512 / max(image.width, image.height))
    small = image.resize(scale) if scale < 1 else image
    grey = small[0:3].colourspace("b-w")[0].numpy()
    faces = _face_cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=4)
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda face: face[2] * face[3])
    return round((x + w / 2) / scale), round((y + h / 2) / scale)


def _crop(image: pyvips.Image, width: int, height: int, step: Step) -> pyvips.Image:
    """A width x height region at the step's position (`x`/`y`, `xc`/`yc`, `fo`)."""
    width, height = min(width, image.width), min(height, image.height)
    free_x, free_y = image.width - width, image.height - height
    focus = step.get("fo", "center")
    if "x" in step or "y" in step or "xc" in step or "yc" in step:
        left = int(step.get("x", 0)) if "xc" not in step else int(step["xc"]) - width // 2
        top = int(step.get("y", 0)) if "yc" not in step else int(step["yc"]) - height // 2
    elif focus == "auto":
        return image.smartcrop(width, height, interesting="attention")
    elif focus == "face":
        centre = _face_centre(image)
        if centre is None:
            return image.smartcrop(width, height, interesting="attention")
        left, top = centre[0] - width // 2, centre[1] - height // 2
    else:
        left, top = _focus_offset(focus, free_x, free_y)
    left, top = max(0, min(left, free_x)), max(0, min(top, free_y))
    return image.crop(left, top, width, height)


def _pad(image: pyvips.Image, width: int, height: int, step: Step, background: str) -> pyvips.Image:
    colour = _colour(background, 4)
    if colour[3] < 255 and not _has_alpha(image):
        image = image.bandjoin_const([255])
    left, top = _focus_offset(step.get("fo", "center"), width - image.width, height - image.height)
    return image.embed(
        left,
        top,
        width,
        height,
        extend="background",
        background=_colour(background, image.bands),
    )


def _apply_size(image: pyvips.Image, step: Step) -> pyvips.Image:
    mode = step.get("cm")
    background = step.get("bg", _DEFAULT_BACKGROUND)
    w, h = _target(step, image.width, image.height)
    if mode is None:
        if w is None and h is None:
            return image
        tw, th, crop = _scaled_size(step, image.width, image.height)
        _check_pixels(tw, th)
        if not crop:
            return _resize_exact(image, tw, th)
        scale = max(tw / image.width, th / image.height)
        covered = _resize_exact(
            image,
            max(tw, round(image.width * scale)),
            max(th, round(image.height * scale)),
        )
        return _crop(covered, tw, th, step)
    w, h = w or image.width, h or image.height
    _check_pixels(w, h)
    if mode == "pad_resize":
        scale = min(w / image.width, h / image.height)
        fitted = _resize_exact(
            image, max(1, round(image.width * scale)), max(1, round(image.height * scale))
        )
        return _pad(fitted, w, h, step, background)
    if mode == "pad_extract" and (w > image.width or h > image.height):
        padded = _pad(
            image,
            max(w, image.width),
            max(h, image.height),
            {"fo": "center"},
            background,
        )
        return _crop(padded, w, h, step)
    return _crop(image, w, h, step)


def _rounded(image: pyvips.Image, radius_value: str) -> pyvips.Image:
    width, height = image.width, image.height
    radius = min(width, height) // 2 if radius_value == "max" else int(radius_value)
    radius = min(radius, min(width, height) // 2)
    mask = pyvips.Image.black(width, height)
    mask = mask.draw_rect(255, radius, 0, max(0, width - 2 * radius), height, fill=True)
    mask = mask.draw_rect(255, 0, radius, width, max(0, height - 2 * radius), fill=True)
    for cx, cy in (
        (radius, radius),
        (width - radius - 1, radius),
        (radius, height - radius - 1),
        (width - radius - 1, height - radius - 1),
    ):
        mask = mask.draw_circle(255, cx, cy, radius, fill=True)
    mask = mask.cast("uchar")
    if _has_alpha(image):
        return image[0:3].bandjoin(image[3].boolean(mask, "and"))
    return image.bandjoin(mask)


def _apply_effects(image: pyvips.Image, step: Step) -> pyvips.Image:
    if "t" in step and step["t"] != "false":
        threshold = 10 if step["t"] == "true" else int(step["t"])
        colour_bands = image[0:3]
        left, top, width, height = colour_bands.find_trim(
            threshold=threshold, background=colour_bands.getpoint(0, 0)
        )
        if width > 0 and height > 0:
            image = image.crop(left, top, width, height)
    if "rt" in step and step["rt"] not in ("auto", "0"):
        image = image.rot({"90": "d90", "180": "d180", "270": "d270"}[step["rt"]])
    if "fl" in step:
        if "h" in step["fl"]:
            image = image.fliphor()
        if "v" in step["fl"]:
            image = image.flipver()
    if "e-grayscale" in step:
        grey = image[0:3].colourspace("b-w").colourspace("srgb")
        image = grey.bandjoin(image[3]) if _has_alpha(image) else grey
    if "bl" in step:
        image = image.gaussblur(max(0.5, int(step["bl"]) / 2))
    if "e-sharpen" in step:
        amount = 1 if step["e-sharpen"] == "true" else int(step["e-sharpen"])
        image = image.sharpen(sigma=0.5 + amount / 20)
    if "r" in step:
        image = _rounded(image, step["r"])
    if "b" in step:
        border, hex_colour = step["b"].split("_")
        size = int(border)
        _check_pixels(image.width + 2 * size, image.height + 2 * size)
        image = image.embed(
            size,
            size,
            image.width + 2 * size,
            image.height + 2 * size,
            extend="background",
            background=_colour(hex_colour, image.bands),
        )
    if "bg" in step and _has_alpha(image) and "cm" not in step:
        image = image.flatten(background=_colour(step["bg"], 3))
    return image.cast("uchar") if image.format != "uchar" else image


def _save(image: pyvips.Image, fmt: str, steps: list[Step]) -> bytes:
    options: dict[str, str] = {}
    for step in steps:
        options.update(step)
    quality = int(options.get("q", _DEFAULT_QUALITY))
    keep = "all" if options.get("md") == "true" else "icc"
    progressive = options.get("pr") == "true"
    lossless = options.get("lo") == "true"
    if fmt == "jpg":
        if _has_alpha(image):
            image = image.flatten(background=_colour(options.get("bg", _DEFAULT_BACKGROUND), 3))
        return image.jpegsave_buffer(Q=quality, interlace=progressive, keep=keep)
    if fmt == "png":
        return image.pngsave_buffer(compression=6, interlace=progressive, keep=keep)
    if fmt == "webp":
        return image.webpsave_buffer(Q=quality, lossless=lossless, keep=keep)
    if fmt == "avif":
        # effort 2: an AVIF made on a first request must not take seconds.
        return image.heifsave_buffer(
            Q=quality, lossless=lossless, compression="av1", effort=2, keep=keep
        )
    return image.gifsave_buffer(keep=keep)


def render(path: str, steps: list[Step], *, fmt: str) -> Rendered:
    """Render `steps` of the image at local `path` into `fmt` (a key of MIMES)."""
    try:
        image, first_done = _load(path, steps[0] if steps else None)
        for index, step in enumerate(steps):
            if not (index == 0 and first_done):
                image = _apply_size(image, step)
            image = _apply_effects(image, step)
            _check_pixels(image.width, image.height)
        content = _save(image, fmt, steps)
    except pyvips.Error as error:
        raise BadRequest(
            f"The image could not be transformed: {str(error).splitlines()[0]}",
            reason="TRANSFORMATION_FAILED",
        ) from None
    return Rendered(content, MIMES[fmt], fmt, image.width, image.height)
