"""Background removal through remove.bg's HTTP API (`POST /v1.0/removebg`).

The image goes up as the multipart file `image_file`, the validated `options` of the
ImageKit extension item as form fields (booleans as "true"/"false"). The answer is the
image itself with `X-Credits-Charged`, `X-Width`, `X-Height` and `X-Type` headers, or an
error body `{"errors": [{"title", "code", "detail"}]}`; the status says whether retrying
can help (see `_raise_for_error`).
"""

from __future__ import annotations

import io
import mimetypes
import re
import threading
import time
import zipfile
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from PIL import Image, ImageColor

from extensions.providers.base import ExtensionParamsError, ImageResult, Provider, ProviderError

# The documented option values; `None` marks options checked by their own rule below.
_CHOICES: dict[str, tuple[str, ...] | None] = {
    "size": ("preview", "full", "50MP", "auto", "small", "regular", "medium", "hd", "4k"),
    "type": (
        "auto",
        "person",
        "product",
        "car",
        "animal",
        "graphic",
        "transportation",
        "car_interior",
        "car_part",
        "other",
    ),
    "type_level": ("none", "1", "2", "latest"),
    "format": ("auto", "png", "jpg", "webp", "zip"),
    "channels": ("rgba", "alpha"),
    "shadow_type": ("none", "car", "3D", "drop"),
    "roi": None,
    "crop": None,
    "crop_margin": None,
    "scale": None,
    "position": None,
    "add_shadow": None,
    "shadow_opacity": None,
    "semitransparency": None,
    "bg_color": None,
    "bg_image_url": None,
}
_BOOLEAN_OPTIONS = frozenset({"crop", "add_shadow", "semitransparency"})
_LENGTH = re.compile(r"^(\d+(?:\.\d+)?)(px|%)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_HEX_COLOUR = re.compile(r"^(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
# remove.bg caps a crop margin at 50% of the subject or 500 px on each side.
_MAX_MARGIN = {"px": 500.0, "%": 50.0}
_MAX_URL_LENGTH = 2048

# remove.bg answers `size=preview` (0.25 megapixels) when no size is sent; a new version of
# the asset should keep its resolution, as ImageKit's does.
DEFAULT_SIZE = "auto"


def validate_options(options: Any) -> dict[str, Any]:
    """Return the remove.bg options of an extension item, checked against the documented set.

    Raises ExtensionParamsError naming `options.<key>` for the first problem found.
    """
    if not isinstance(options, dict):
        raise ExtensionParamsError("options must be an object.", field="options")
    validated: dict[str, Any] = {}
    for key, value in options.items():
        if key not in _CHOICES:
            raise ExtensionParamsError(
                f"Unknown remove-bg option '{key}'. Supported options: "
                f"{', '.join(sorted(_CHOICES))}.",
                field=f"options.{key}",
            )
        validated[key] = _validate_option(key, value)
    if validated.get("bg_color") and validated.get("bg_image_url"):
        raise ExtensionParamsError(
            "bg_color and bg_image_url are mutually exclusive: set only one of them.",
            field="options.bg_image_url",
        )
    return validated


def _validate_option(key: str, value: Any) -> Any:
    field = f"options.{key}"
    if key in _BOOLEAN_OPTIONS:
        if not isinstance(value, bool):
            raise ExtensionParamsError(f"{key} must be true or false.", field=field)
        return value
    if key == "shadow_opacity":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ExtensionParamsError(
                "shadow_opacity must be an integer from 0 to 100.", field=field
            )
        return value
    if key == "type_level" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ExtensionParamsError(f"{key} must be a non-empty string.", field=field)
    value = value.strip()
    choices = _CHOICES[key]
    if choices is not None:
        canonical = {choice.lower(): choice for choice in choices}
        if value.lower() not in canonical:
            raise ExtensionParamsError(f"{key} must be one of: {', '.join(choices)}.", field=field)
        return canonical[value.lower()]
    checker = _CHECKERS[key]
    if not checker(value):
        raise ExtensionParamsError(_CHECK_MESSAGES[key], field=field)
    return value


def _is_roi(value: str) -> bool:
    parts = value.split()
    if len(parts) != 4:
        return False
    lengths = [_LENGTH.match(part) for part in parts]
    if not all(lengths):
        return False
    if any(m[2] == "%" and float(m[1]) > 100 for m in lengths if m):
        return False
    (x1, y1, x2, y2) = lengths
    # Each corner pair is only comparable when both use the same unit.
    for low, high in ((x1, x2), (y1, y2)):
        if low and high and low[2] == high[2] and float(low[1]) >= float(high[1]):
            return False
    return True


def _is_crop_margin(value: str) -> bool:
    parts = value.split()
    if len(parts) not in (1, 2, 4):
        return False
    for part in parts:
        match = _LENGTH.match(part)
        if not match or float(match[1]) > _MAX_MARGIN[match[2]]:
            return False
    return True


def _is_scale(value: str) -> bool:
    if value == "original":
        return True
    match = _PERCENT.match(value)
    return bool(match) and 10 <= float(match[1]) <= 100


def _is_position(value: str) -> bool:
    if value in ("original", "center"):
        return True
    parts = value.split()
    return 1 <= len(parts) <= 2 and all(
        (match := _PERCENT.match(part)) and float(match[1]) <= 100 for part in parts
    )


def _is_colour(value: str) -> bool:
    return bool(_HEX_COLOUR.match(value)) or value.lower() in ImageColor.colormap


def _is_image_url(value: str) -> bool:
    if len(value) > _MAX_URL_LENGTH or any(char.isspace() for char in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_CHECKERS = {
    "roi": _is_roi,
    "crop_margin": _is_crop_margin,
    "scale": _is_scale,
    "position": _is_position,
    "bg_color": _is_colour,
    "bg_image_url": _is_image_url,
}
_CHECK_MESSAGES = {
    "roi": "roi must be four coordinates 'x1 y1 x2 y2', each in px or % "
    "(e.g. '0% 0% 100% 100%'), with x1 < x2 and y1 < y2.",
    "crop_margin": "crop_margin must be 1, 2 or 4 values in px (at most 500px) or % "
    "(at most 50%), e.g. '30px' or '10%'.",
    "scale": "scale must be a percentage from 10% to 100%, or 'original'.",
    "position": "position must be 'original', 'center', or one or two percentages "
    "(horizontal, vertical) from 0% to 100%.",
    "bg_color": "bg_color must be a hex colour of 3, 4, 6 or 8 digits without '#' "
    "(e.g. 81d4fa) or a colour name (e.g. green).",
    "bg_image_url": "bg_image_url must be an http(s) URL.",
}


class RemoveBgProvider(Provider):
    name = "remove-bg-api"
    kind = "remove-bg"
    label = "remove.bg"

    def is_configured(self) -> bool:
        return bool(settings.REMOVE_BG_API_KEY)

    def run(self, image: bytes, mime: str, params: dict[str, Any]) -> ImageResult:
        options = params.get("options") or {}
        fields = {"size": DEFAULT_SIZE, **options}
        form = {key: _form_value(value) for key, value in fields.items()}
        file_name = "image" + (mimetypes.guess_extension(mime) or "")
        try:
            response = _session().post(
                settings.REMOVE_BG_API_URL,
                headers={"X-Api-Key": settings.REMOVE_BG_API_KEY},
                files={"image_file": (file_name, image, mime)},
                data=form,
                timeout=settings.PROVIDER_TIMEOUT,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise ProviderError(
                f"remove.bg did not answer within {settings.PROVIDER_TIMEOUT:g} s.",
                code="timeout",
            ) from exc
        except requests.RequestException as exc:
            raise ProviderError(
                f"remove.bg could not be reached: {exc}", code="connection_error"
            ) from exc
        if response.status_code != 200:
            _raise_for_error(response)
        return _image_result(response)


# A Session per thread: connections are reused, and a threads pool never shares one.
_sessions = threading.local()


def _session() -> requests.Session:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    return session


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _image_result(response: requests.Response) -> ImageResult:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    content = response.content
    if content_type == "application/zip":
        content, content_type = _png_from_zip(content)
    elif not content_type.startswith("image/"):
        raise ProviderError(
            f"remove.bg answered 200 with {content_type or 'no content type'}, not an image.",
            code="unexpected_response",
        )
    details = {
        "credits_charged": _number(response.headers.get("X-Credits-Charged")),
        "width": _number(response.headers.get("X-Width")),
        "height": _number(response.headers.get("X-Height")),
        "type": response.headers.get("X-Type", ""),
    }
    return ImageResult(content=content, mime=content_type, details=details)


def _png_from_zip(content: bytes) -> tuple[bytes, str]:
    """Combine format=zip's `color.jpg` and `alpha.png` into one PNG with transparency."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            colour = Image.open(io.BytesIO(archive.read("color.jpg"))).convert("RGB")
            alpha = Image.open(io.BytesIO(archive.read("alpha.png"))).convert("L")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ProviderError(
            f"remove.bg's ZIP result could not be read: {exc}", code="unexpected_response"
        ) from exc
    colour.putalpha(alpha.resize(colour.size))
    buffer = io.BytesIO()
    colour.save(buffer, format="PNG")
    return buffer.getvalue(), "image/png"


def _number(value: str | None) -> float | int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _raise_for_error(response: requests.Response) -> None:
    """Raise the ProviderError for a non-200 answer, permanent where retrying cannot help.

    400 (bad image, no foreground), 402 (no credits) and 403 (bad key) need a person;
    429 waits for Retry-After; 5xx and anything unexpected are retried with backoff.
    """
    status = response.status_code
    title, code = _error_title_and_code(response)
    message = f"remove.bg: {title}" if title else f"remove.bg answered HTTP {status}."
    if status == 429:
        raise ProviderError(
            message, code=code or "rate_limited", retry_after=_retry_after(response)
        )
    if status == 402:
        raise ProviderError(message, code=code or "insufficient_credits", permanent=True)
    if status in (401, 403):
        raise ProviderError(message, code=code or "auth_failed", permanent=True)
    if 400 <= status < 500 and status != 408:
        raise ProviderError(message, code=code or f"http_{status}", permanent=True)
    if 300 <= status < 400:
        raise ProviderError(
            f"remove.bg answered a redirect (HTTP {status}); check REMOVE_BG_API_URL.",
            code="unexpected_redirect",
            permanent=True,
        )
    raise ProviderError(message, code=code or f"http_{status}")


def _error_title_and_code(response: requests.Response) -> tuple[str, str]:
    try:
        errors = response.json().get("errors")
        first = errors[0]
        title = str(first.get("title") or "").strip()
        detail = str(first.get("detail") or "").strip()
        code = str(first.get("code") or "").strip()
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return "", ""
    if detail and detail != title:
        title = f"{title} ({detail})" if title else detail
    return title, code


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: Retry-After (seconds or an HTTP date), else X-RateLimit-Reset.

    remove.bg's X-RateLimit-Reset is the Unix time (seconds) at which the limit resets.
    """
    retry_after = response.headers.get("Retry-After", "").strip()
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("X-RateLimit-Reset", "").strip()
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    return None
