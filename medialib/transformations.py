"""ImageKit URL transformations: parsing, validation and normalisation (no pixels here).

Syntax, as ImageKit and the SDK's `client.helper.build_url` write it: steps of a
chain are joined by `:`, the parameters of a step by `,`, and each parameter is
`key-value` (split at the first `-`: `ar-4-3` is `ar` = `4-3`; `e-sharpen-10`
is the effect `sharpen` with `10`). `n-<name>` is replaced by the steps of a named
transformation (the built-in `ik_ml_thumbnail`, or one stored in the
`NamedTransformation` table) where it stands.

`parse()` raises `BadRequest` naming the parameter for anything unknown,
malformed or out of range, and for what ImageKit has but this library does not
render (overlays, AI effects, video), so a URL never silently serves an original.
`normalise()` gives the canonical text of a parsed chain: the rendition cache key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.exceptions import BadRequest

THUMBNAIL_NAME = "ik_ml_thumbnail"
THUMBNAIL = f"n-{THUMBNAIL_NAME}"
# ImageKit's media-library thumbnail: fits in 256 x 256 (as the stored thumbnail).
BUILT_IN_NAMED = {THUMBNAIL_NAME: "w-256,h-256,c-at_max"}
MAX_STEPS = 10
MAX_DIMENSION = 16384

CROPS = ("maintain_ratio", "force", "at_max", "at_max_enlarge", "at_least")
CROP_MODES = ("pad_resize", "extract", "pad_extract")
FOCUSES = (
    "center",
    "top",
    "left",
    "bottom",
    "right",
    "top_left",
    "top_right",
    "bottom_left",
    "bottom_right",
    "auto",
    "face",
)
FORMATS = ("auto", "jpg", "jpeg", "png", "webp", "avif", "orig")
FLIPS = ("h", "v", "h_v", "v_h")
EFFECTS = ("grayscale", "sharpen")
# Parameters ImageKit has that this library does not render: a clear 400, not an original.
UNSUPPORTED = {
    "l": "overlays",
    "lx": "overlays",
    "ly": "overlays",
    "lfo": "overlays",
    "lso": "overlays",
    "le": "overlays",
    "i": "overlays",
    "ie": "overlays",
    "vc": "video",
    "ac": "video",
    "so": "video",
    "eo": "video",
    "du": "video",
    "sr": "video",
    "fps": "video",
    "ab": "video",
    "di": "default images",
    "cr": "colour replacement",
    "o": "opacity",
    "z": "zoom",
    "pg": "pages",
    "cp": "colour profiles",
    "dn": "density",
    "fs": "text",
    "ff": "text",
    "co": "text",
    "ia": "text",
    "pa": "text",
    "al": "text",
    "tg": "text",
    "lh": "text",
    "fol": "text",
    "fsh": "text",
    "ik": "ImageKit-internal parameters",
}
UNSUPPORTED_EFFECTS = (
    "bgremove",
    "removedotbg",
    "upscale",
    "retouch",
    "genvar",
    "dropshadow",
    "changebg",
    "edit",
    "shadow",
    "gradient",
    "contrast",
    "usm",
    "colorize",
    "distort",
)
_HEX_COLOUR = re.compile(r"^(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$")
_NAMED_COLOURS = {
    "white": "FFFFFF",
    "black": "000000",
    "red": "FF0000",
    "green": "008000",
    "blue": "0000FF",
    "yellow": "FFFF00",
    "gray": "808080",
    "grey": "808080",
}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,100}$")

Step = dict[str, str]
NamedLookup = Callable[[str], "str | None"]


def _bad(message: str) -> BadRequest:
    return BadRequest(message, reason="INVALID_TRANSFORMATION")


def _unsupported(key: str, what: str) -> BadRequest:
    return BadRequest(
        f"Transformation parameter '{key}' ({what}) is not supported by this media library.",
        reason="UNSUPPORTED_TRANSFORMATION",
    )


def _number(key: str, value: str, *, fraction: bool = False) -> str:
    """A positive integer (or, with `fraction`, a ratio in (0, 1)) in canonical text."""
    try:
        number = float(value)
    except ValueError:
        raise _bad(f"Transformation parameter '{key}' must be a number, got '{value}'.") from None
    if fraction and 0 < number < 1:
        return repr(round(number, 6))
    if number != int(number) or not 1 <= number <= MAX_DIMENSION:
        raise _bad(
            f"Transformation parameter '{key}' must be an integer from 1 to {MAX_DIMENSION}"
            + (" or a fraction between 0 and 1" if fraction else "")
            + f", got '{value}'."
        )
    return str(int(number))


def _int_range(key: str, value: str, low: int, high: int) -> str:
    if not re.fullmatch(r"-?\d+", value) or not low <= int(value) <= high:
        raise _bad(f"Transformation parameter '{key}' must be an integer from {low} to {high}.")
    return str(int(value))


def _choice(key: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _bad(f"Transformation parameter '{key}' must be one of {', '.join(choices)}.")
    return value


def _boolean(key: str, value: str) -> str:
    return _choice(key, value, ("true", "false"))


def colour(value: str, key: str = "bg") -> str:
    """A colour as RRGGBB or RRGGBBAA hex (upper case)."""
    named = _NAMED_COLOURS.get(value.lower())
    if named:
        return named
    if not _HEX_COLOUR.match(value):
        raise _bad(
            f"Transformation parameter '{key}' must be a colour as RRGGBB or RRGGBBAA, "
            f"got '{value}'."
        )
    return value.upper()


def _validate(key: str, value: str) -> tuple[str, str]:
    """(key, canonical value) of one parameter, or BadRequest."""
    if key in ("w", "h"):
        return key, _number(key, value, fraction=True)
    if key in ("x", "y", "xc", "yc"):
        return key, _int_range(key, value, 0, MAX_DIMENSION)
    if key == "ar":
        match = re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", value)
        if not match or float(match[1]) <= 0 or float(match[2]) <= 0:
            raise _bad("Transformation parameter 'ar' must be written ar-W-H, as ar-4-3.")
        return key, value
    if key == "c":
        return key, _choice(key, value, CROPS)
    if key == "cm":
        return key, _choice(key, value, CROP_MODES)
    if key == "fo":
        return key, _choice(key, value, FOCUSES)
    if key == "q":
        return key, _int_range(key, value, 1, 100)
    if key == "f":
        value = "jpg" if value == "jpeg" else value
        return key, _choice(key, value, FORMATS)
    if key == "bl":
        return key, _int_range(key, value, 1, 100)
    if key == "rt":
        if value == "auto":
            return key, value
        if not re.fullmatch(r"N?\d+", value) or int(value.lstrip("N")) % 90:
            raise _bad("Transformation parameter 'rt' must be a multiple of 90 or 'auto'.")
        degrees = int(value.lstrip("N")) * (-1 if value.startswith("N") else 1)
        return key, str(degrees % 360)
    if key == "fl":
        return key, {"v_h": "h_v"}.get(value, _choice(key, value, FLIPS))
    if key == "r":
        return key, value if value == "max" else _int_range(key, value, 1, MAX_DIMENSION)
    if key == "b":
        match = re.fullmatch(r"(\d+)_([0-9A-Za-z]+)", value)
        if not match or not 1 <= int(match[1]) <= 1000:
            raise _bad("Transformation parameter 'b' must be written b-<width>_<colour>.")
        return key, f"{int(match[1])}_{colour(match[2], 'b')}"
    if key == "bg":
        return key, colour(value)
    if key == "dpr":
        if value == "auto":
            return key, "1"
        try:
            ratio = float(value)
        except ValueError:
            ratio = 0
        if not 0.1 <= ratio <= 5:
            raise _bad("Transformation parameter 'dpr' must be a number from 0.1 to 5.")
        return key, repr(round(ratio, 3))
    if key in ("pr", "lo", "md"):
        return key, _boolean(key, value)
    if key == "orig":
        return key, _choice(key, value, ("true",))
    if key == "t":
        return key, value if value in ("true", "false") else _int_range(key, value, 1, 99)
    if key == "e":
        effect, _, amount = value.partition("-")
        if effect in UNSUPPORTED_EFFECTS:
            raise _unsupported(f"e-{effect}", "AI and other effects")
        if effect not in EFFECTS or (effect == "grayscale" and amount):
            raise _bad(f"Unknown transformation effect 'e-{value}'.")
        if amount:
            return f"e-{effect}", _int_range(f"e-{effect}", amount, 1, 100)
        return f"e-{effect}", "true"
    if key in UNSUPPORTED:
        raise _unsupported(key, UNSUPPORTED[key])
    raise _bad(f"Unknown transformation parameter '{key}'.")


def _split(text: str) -> list[list[tuple[str, str]]]:
    steps = []
    for raw_step in text.split(":"):
        if not raw_step:
            raise _bad(f"Empty transformation step in '{text}'.")
        pairs = []
        for raw in raw_step.split(","):
            key, dash, value = raw.partition("-")
            if not key or not dash or not value:
                raise _bad(f"Malformed transformation parameter '{raw}': write it as key-value.")
            pairs.append((key, value))
        steps.append(pairs)
    return steps


def parse(text: str, *, named: NamedLookup | None = None, _depth: int = 0) -> list[Step]:
    """The validated steps of a transformation string; BadRequest naming what is wrong."""
    if len(text) > 2000:
        raise _bad("The transformation string is too long.")
    steps: list[Step] = []
    for pairs in _split(text):
        step: Step = {}
        for key, value in pairs:
            if key == "n":
                # A named transformation is replaced by its steps, in place in the chain.
                definition = BUILT_IN_NAMED.get(value)
                if definition is None and named is not None and NAME_PATTERN.match(value):
                    definition = named(value)
                if definition is None:
                    raise _bad(f"Named transformation 'n-{value}' does not exist.")
                if _depth > 2:
                    raise _bad(f"Named transformation 'n-{value}' nests too deep.")
                inner = parse(definition, named=named, _depth=_depth + 1)
                if step:
                    steps.append(step)
                    step = {}
                steps.extend(inner)
                continue
            canonical_key, canonical_value = _validate(key, value)
            if canonical_key in step:
                raise _bad(f"Transformation parameter '{key}' is given twice in one step.")
            step[canonical_key] = canonical_value
        if step:
            steps.append(step)
    if len(steps) > MAX_STEPS:
        raise _bad(f"A transformation may chain at most {MAX_STEPS} steps.")
    return steps


def normalise(steps: list[Step]) -> str:
    """The canonical text of parsed steps (sorted parameters): the rendition cache key."""
    return ":".join(",".join(f"{key}-{step[key]}" for key in sorted(step)) for step in steps)


def wants_original(steps: list[Step]) -> bool:
    """`orig-true` anywhere asks for the original file, as ImageKit serves it."""
    return any(step.get("orig") == "true" for step in steps)


def output_format_request(steps: list[Step]) -> str:
    """The last `f-` of the chain ("" when none: the original's format)."""
    for step in reversed(steps):
        if "f" in step:
            return step["f"]
    return ""
