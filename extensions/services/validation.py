"""The `extensions` parameter: each item checked against the registry, one message per fault."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.exceptions import BadRequest
from extensions import registry
from extensions.providers.base import (
    ExtensionParamsError,
)


@dataclass(frozen=True)
class ExtensionRequest:
    """One validated item of the `extensions` array."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


def clean_extensions(raw: Any) -> list[ExtensionRequest]:
    """The `extensions` field (parsed JSON of any type, or a JSON string) as requests.

    Returns [] for None or empty; raises core.exceptions.BadRequest naming the item
    index, the extension name and the field.
    """
    if raw is None or raw == "":
        return []
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadRequest("extensions must be a JSON array of extension objects.") from None
    if not isinstance(raw, list):
        raise BadRequest("extensions must be a JSON array of extension objects.")
    requests: list[ExtensionRequest] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        request = _clean_item(index, item)
        if request.name in seen:
            raise BadRequest(
                f"extensions[{index}] ({request.name}): duplicate extension; "
                "request each extension at most once."
            )
        seen.add(request.name)
        requests.append(request)
    return requests


def _clean_item(index: int, item: Any) -> ExtensionRequest:
    where = f"extensions[{index}]"
    if not isinstance(item, dict):
        raise BadRequest(f"{where}: each extension must be an object with a name.")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        if "id" in item:
            raise BadRequest(f"{where}: saved extensions (by id) are not supported.")
        raise BadRequest(f"{where}: name is required and must be a string.")
    if name in registry.NOT_SUPPORTED:
        raise BadRequest(f"{where} ({name}): the extension {name!r} is not supported.")
    extension = registry.extension_get(name)
    if extension is None:
        raise BadRequest(
            f"{where} ({name}): unknown extension name; supported: "
            f"{', '.join(sorted(registry.EXTENSIONS))}."
        )
    try:
        params = extension.validate(item)
    except ExtensionParamsError as exc:
        raise BadRequest(
            f"{where} ({name}): {exc.message.rstrip('.')}.",
            **({"field": exc.field} if exc.field else {}),
        ) from None
    return ExtensionRequest(name=name, params=params)
