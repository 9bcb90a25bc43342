"""The input rules of the media library: names, folders, tags, coordinates, metadata."""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import unicodedata
from typing import Any

from core.exceptions import BadRequest
from medialib.models import (
    Folder,
)

# Files ---------------------------------------------------------------------------

MAX_FOLDER_DEPTH = 50
MAX_TAGS_LENGTH = 500
MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 2048
MAX_CUSTOM_METADATA_BYTES = 64 * 1024
UNIQUE_SUFFIX_LENGTH = 9
_UNIQUE_ALPHABET = string.ascii_letters + string.digits
_DOTS = re.compile(r"\.{2,}")


class Unset:
    """The value of a field absent from a request (None may mean "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


def _is_name_character(character: str) -> bool:
    # Letters, marks and digits of any script, space, "." and "-" (ImageKit's rule).
    return character in " .-" or unicodedata.category(character)[0] in "LMN"


def sanitize_file_name(name: str) -> str:
    """ImageKit's file name rule; "..", slashes and control characters cannot survive it."""
    cleaned = "".join(c if _is_name_character(c) else "_" for c in name)
    cleaned = _DOTS.sub(".", cleaned).strip()
    if cleaned in ("", "."):
        raise BadRequest("fileName is empty, or has no usable character.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise BadRequest(f"fileName is longer than {MAX_NAME_LENGTH} characters.")
    return cleaned


def normalize_folder(folder: str | None) -> str:
    """The folder as "/" or "/a/b" (no trailing slash); 400 for "..", "\\", control characters."""
    if not folder:
        return "/"
    if "\\" in folder:
        raise BadRequest("folder must not contain backslashes.")
    if any(unicodedata.category(c) == "Cc" for c in folder):
        raise BadRequest("folder must not contain control characters.")
    segments = [segment.strip() for segment in folder.split("/") if segment.strip()]
    if any(segment in (".", "..") for segment in segments):
        raise BadRequest('folder must not contain "." or ".." segments.')
    if len(segments) > MAX_FOLDER_DEPTH:
        raise BadRequest(f"folder is nested deeper than {MAX_FOLDER_DEPTH} levels.")
    segments = ["".join(c if _is_name_character(c) else "_" for c in s) for s in segments]
    if any(len(segment) > MAX_NAME_LENGTH for segment in segments):
        raise BadRequest(f"A folder name is longer than {MAX_NAME_LENGTH} characters.")
    path = "/" + "/".join(segments)
    if len(path) > Folder._meta.get_field("path").max_length:
        raise BadRequest("folder is too long.")
    return path


def parse_tags(value: str | list[str] | None, *, field: str = "tags") -> list[str] | None:
    """Tags from "a,b" or a list: trimmed, empties dropped, duplicates removed; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        raw_items = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        raw_items = value
    else:
        raise BadRequest(f"{field} must be a comma-separated string or a list of strings.")
    if len(",".join(raw_items)) > MAX_TAGS_LENGTH:
        raise BadRequest(f"{field} is longer than {MAX_TAGS_LENGTH} characters.")
    tags: list[str] = []
    for item in raw_items:
        tag = item.strip()
        if any(unicodedata.category(c) == "Cc" for c in tag):
            raise BadRequest(f"{field} must not contain control characters.")
        if len(tag) > MAX_NAME_LENGTH:
            raise BadRequest(f"{field}: a tag is longer than {MAX_NAME_LENGTH} characters.")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def validate_custom_coordinates(value: str | None) -> str:
    """The coordinates as "x,y,width,height" (non-negative integers), or "" for none."""
    if value is None or value.strip() == "":
        return ""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 4 or not all(part.isascii() and part.isdigit() for part in parts):
        raise BadRequest(
            'customCoordinates must be "x,y,width,height" with non-negative integers, '
            'e.g. "10,10,100,100".'
        )
    return ",".join(str(int(part)) for part in parts)


def validate_custom_metadata(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("customMetadata must be a JSON object.")
    encoded = json.dumps(value)
    if "\\u0000" in encoded:
        raise BadRequest("customMetadata must not contain NUL characters.")
    if len(encoded) > MAX_CUSTOM_METADATA_BYTES:
        raise BadRequest(f"customMetadata is larger than {MAX_CUSTOM_METADATA_BYTES} bytes.")
    return value


def validate_description(value: str | None) -> str:
    if value is None:
        return ""
    if "\x00" in value:
        raise BadRequest("description must not contain NUL characters.")
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise BadRequest(f"description is longer than {MAX_DESCRIPTION_LENGTH} characters.")
    return value


def unique_file_name(name: str) -> str:
    """`name` with ImageKit's random suffix before the extension: photo_Ab3dE5fGh.jpg."""
    stem, extension = os.path.splitext(name)
    suffix = "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(UNIQUE_SUFFIX_LENGTH))
    return f"{stem}_{suffix}{extension}"


def join_file_path(folder_path: str, name: str) -> str:
    return f"{folder_path.rstrip('/')}/{name}"


def ai_tag_names_to_remove(value: list[str] | str | None) -> list[str] | str:
    """`removeAITags`: "all", or a list of AI tag names ([] for none)."""
    if value is None or value == []:
        return []
    if value == "all":
        return "all"
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return value
    raise BadRequest('removeAITags must be "all" or a list of AI tag names.')
