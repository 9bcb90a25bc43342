"""The input rules of the media library: names, paths, tags, coordinates, metadata, fileIds.

One `clean_` function per rule, in Django's sense: it takes the value as a client sent
it, raises core.exceptions.BadRequest with a message naming the field when the value
breaks the rule, and returns the clean value. The API's input serializers call them
for their fields, so a field is answered in the same words by every endpoint that
takes it; the services take the clean values.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import unicodedata
from typing import Any, Literal

from core.exceptions import BadRequest
from medialib.models import Folder
from medialib.services.ai_tags import ALL_AI_TAGS
from medialib.services.metadata_fields import custom_metadata_check

MAX_FOLDER_DEPTH = 50
MAX_TAGS_LENGTH = 500
MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 2048
MAX_CUSTOM_METADATA_BYTES = 64 * 1024
MAX_BULK_FILE_IDS = 100
UNIQUE_SUFFIX_LENGTH = 9
_UNIQUE_ALPHABET = string.ascii_letters + string.digits
_DOTS = re.compile(r"\.{2,}")


class Unset:
    """The value of a field absent from a request (None may mean "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


# Text and JSON bounds ----------------------------------------------------------------
# Every JSON body and JSON-string field is bounded in size and depth BEFORE it is parsed
# (the parser's recursion limit would otherwise escape as a 500), and no string may hold
# NUL, which PostgreSQL refuses in text and in jsonb.

MAX_JSON_DEPTH = 32
MAX_JSON_BODY_BYTES = 1024 * 1024
MAX_JSON_FIELD_BYTES = 256 * 1024
# A name is one path segment on the file system too, where the limit is in bytes.
MAX_NAME_BYTES = 255
NUL = "\x00"


def json_depth_exceeds(text: str, max_depth: int) -> bool:
    """True when `text` nests arrays/objects deeper than `max_depth` (strings skipped)."""
    depth = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif character in "]}":
            depth -= 1
    return False


def _contains_nul(value: Any) -> bool:
    # Iterative: the value's depth is already bounded, but a walk needs no recursion.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def clean_json_text(text: str | bytes, *, field: str, max_bytes: int = MAX_JSON_FIELD_BYTES) -> Any:
    """Parse JSON text bounded in size and depth, with no NUL in any string.

    Raises BadRequest naming `field` ("The request body" for a whole body).
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise BadRequest(f"{field} is larger than {max_bytes} bytes.")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"{field} is not valid UTF-8.") from None
    if json_depth_exceeds(text, MAX_JSON_DEPTH):
        raise BadRequest(f"{field} is nested deeper than {MAX_JSON_DEPTH} levels.")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"{field} is not valid JSON: {error}.") from None
    clean_no_nul(value, field=field)
    return value


def clean_no_nul(value: Any, *, field: str) -> Any:
    """`value` (a string or parsed JSON) unchanged, or BadRequest if a string in it holds NUL."""
    if _contains_nul(value):
        raise BadRequest(f"{field} must not contain NUL characters.")
    return value


def text_is_storable(value: str, *, max_chars: int) -> bool:
    """True when `value` can be stored or looked up: no NUL, at most `max_chars` characters.

    For values only compared with stored ones (keys, tokens, paths): one that fails
    matches nothing, so the caller answers as for an unknown value.
    """
    return NUL not in value and len(value) <= max_chars


def _fit_name(name: str, *, max_chars: int = MAX_NAME_LENGTH) -> bool:
    return _name_too_long(name, max_chars=max_chars) == ""


def _name_too_long(name: str, *, max_chars: int = MAX_NAME_LENGTH) -> str:
    """How `name` breaks the name limits ("" when it does not)."""
    if len(name) > max_chars:
        return f"longer than {max_chars} characters."
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"longer than {MAX_NAME_BYTES} bytes of UTF-8."
    return ""


def _is_name_character(character: str) -> bool:
    # Letters, marks and digits of any script, space, "." and "-" (ImageKit's rule).
    return character in " .-" or unicodedata.category(character)[0] in "LMN"


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


# Names and paths -------------------------------------------------------------------


def clean_file_name(value: str, *, field: str = "fileName") -> str:
    """ImageKit's file name rule: characters other than letters, digits, space, "." and "-"
    become "_", so "..", slashes and control characters cannot survive it."""
    cleaned = "".join(c if _is_name_character(c) else "_" for c in value)
    cleaned = _DOTS.sub(".", cleaned).strip()
    if cleaned in ("", "."):
        raise BadRequest(f"{field} is empty, or has no usable character.")
    if problem := _name_too_long(cleaned):
        raise BadRequest(f"{field} is {problem}")
    return cleaned


def clean_single_name(value: object, *, field: str) -> str:
    """The name of one folder or file, never a path: no "/", not "." or ".."."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field} is required and must be a string.")
    if "/" in value or value.strip() in (".", ".."):
        raise BadRequest(f"{field} must be a name, not a path.")
    return value


def clean_folder_path(value: object, *, field: str = "folder") -> str:
    """A folder path as "/" or "/a/b": "/a/b/", "a//b" and " a / b " give "/a/b", "" gives "/".

    Anything that could step outside the folder it names ("." or ".." segments,
    backslashes, control characters) is refused, as are paths nested deeper than
    ImageKit allows; other characters of a segment become "_" as in file names.
    """

    def refused(problem: str) -> BadRequest:
        # Upload's field is itself named `folder`; the other fields say which they are.
        return BadRequest(problem if field == "folder" else f"{field}: {problem}")

    if not isinstance(value, str):
        raise BadRequest(f"{field} must be a string.")
    if "\\" in value:
        raise refused("folder must not contain backslashes.")
    if _has_control_characters(value):
        raise refused("folder must not contain control characters.")
    segments = [segment.strip() for segment in value.split("/") if segment.strip()]
    if any(segment in (".", "..") for segment in segments):
        raise refused('folder must not contain "." or ".." segments.')
    if len(segments) > MAX_FOLDER_DEPTH:
        raise refused(f"folder is nested deeper than {MAX_FOLDER_DEPTH} levels.")
    segments = ["".join(c if _is_name_character(c) else "_" for c in s) for s in segments]
    for segment in segments:
        if problem := _name_too_long(segment):
            raise refused(f"A folder name is {problem}")
    path = "/" + "/".join(segments)
    if len(path) > Folder._meta.get_field("path").max_length:
        raise refused("folder is too long.")
    return path


def clean_file_path(value: object, *, field: str) -> str:
    """A file's path as "/a/b.jpg" (a leading "/" added), by the folder path rule."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field} is required and must be a string.")
    if value.strip().endswith("/"):
        raise BadRequest(f"{field} must name a file, not a folder.")
    return clean_folder_path(value, field=field)


def unique_file_name(name: str) -> str:
    """`name` with ImageKit's random suffix before the extension: photo_Ab3dE5fGh.jpg."""
    stem, extension = os.path.splitext(name)
    suffix = "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(UNIQUE_SUFFIX_LENGTH))
    # The stem gives way so the name still fits the column and the file system's limit.
    while stem and not _fit_name(f"{stem}_{suffix}{extension}"):
        stem = stem[:-1]
    if not _fit_name(f"{stem}_{suffix}{extension}"):
        extension = ""
    return f"{stem}_{suffix}{extension}"


def join_file_path(folder_path: str, name: str) -> str:
    return f"{folder_path.rstrip('/')}/{name}"


# Tags ------------------------------------------------------------------------------


def clean_tags(value: str | list[str] | None, *, field: str = "tags") -> list[str] | None:
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
        if _has_control_characters(tag):
            raise BadRequest(f"{field} must not contain control characters.")
        if len(tag) > MAX_NAME_LENGTH:
            raise BadRequest(f"{field}: a tag is longer than {MAX_NAME_LENGTH} characters.")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def clean_tag_names(value: object, *, field: str) -> list[str]:
    """A non-empty array of tag names (bulk tag changes), by the tags rule."""
    if not isinstance(value, list):
        raise BadRequest(f"{field} must be a non-empty array of strings.")
    names = clean_tags(value, field=field)
    if not names:
        raise BadRequest(f"{field} must be a non-empty array of strings.")
    return names


def clean_ai_tag_names(value: object) -> list[str] | Literal["all"]:
    """`removeAITags`: "all", or a list of AI tag names ([] for none)."""
    if value == ALL_AI_TAGS:
        return ALL_AI_TAGS
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return value
    raise BadRequest('removeAITags must be "all" or a list of AI tag names.')


# Details ---------------------------------------------------------------------------


def clean_custom_coordinates(value: str | None) -> str:
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


def clean_custom_metadata(value: Any, *, new_file: bool = False) -> dict[str, Any]:
    """A JSON object of at most 64 KB without NUL characters, or {} for none, that fits
    the declared custom metadata fields (`new_file`: with their defaults and required values)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("customMetadata must be a JSON object.")
    encoded = json.dumps(value)
    if "\\u0000" in encoded:
        raise BadRequest("customMetadata must not contain NUL characters.")
    if len(encoded) > MAX_CUSTOM_METADATA_BYTES:
        raise BadRequest(f"customMetadata is larger than {MAX_CUSTOM_METADATA_BYTES} bytes.")
    # Against the declared custom metadata fields, when there are any.
    return custom_metadata_check(value, new_file=new_file)


def clean_description(value: str | None) -> str:
    """At most 2048 characters without NUL, or "" for none."""
    if value is None:
        return ""
    if "\x00" in value:
        raise BadRequest("description must not contain NUL characters.")
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise BadRequest(f"description is longer than {MAX_DESCRIPTION_LENGTH} characters.")
    return value


# Bulk operations -------------------------------------------------------------------


def clean_file_ids(value: object) -> list[str]:
    """A non-empty list of at most 100 fileIds, without duplicates, in the order given."""
    if not isinstance(value, list) or not value:
        raise BadRequest("fileIds must be a non-empty array of fileIds.")
    if len(value) > MAX_BULK_FILE_IDS:
        raise BadRequest(f"fileIds holds at most {MAX_BULK_FILE_IDS} fileIds.")
    if not all(isinstance(file_id, str) and file_id.isprintable() and file_id for file_id in value):
        raise BadRequest("fileIds must hold only non-empty strings of printable characters.")
    return list(dict.fromkeys(value))
