"""The `extensions` parameter: each item checked against the registry, one message per fault.

A `{"name": "saved-extension", "id": ...}` item is replaced by the saved configuration
(extensions.SavedExtension), checked again as if the client had sent it, so its run and its
`extensionStatus` key are those of the base extension, as ImageKit reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.exceptions import BadRequest
from extensions import registry
from extensions.models import SavedExtension
from extensions.providers.base import (
    ExtensionParamsError,
)
from medialib.services.rules import clean_json_text, clean_no_nul

SAVED_EXTENSION = "saved-extension"


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
            raw = clean_json_text(raw, field="extensions")
        except BadRequest as error:
            raise BadRequest(
                f"extensions must be a JSON array of extension objects: {error.message}"
            ) from None
    else:
        clean_no_nul(raw, field="extensions")
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


def clean_extension_config(raw: Any, *, where: str = "config") -> dict[str, Any]:
    """A saved extension's `config`: one base extension item, normalised.

    Raises BadRequest as clean_extensions does; a reference to a saved extension is refused.
    """
    request = _clean_item(where, raw, allow_saved=False)
    return {"name": request.name, **request.params}


def _clean_item(where: str | int, item: Any, *, allow_saved: bool = True) -> ExtensionRequest:
    if isinstance(where, int):
        where = f"extensions[{where}]"
    if not isinstance(item, dict):
        raise BadRequest(f"{where}: each extension must be an object with a name.")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise BadRequest(f"{where}: name is required and must be a string.")
    if name == SAVED_EXTENSION:
        if not allow_saved:
            raise BadRequest(
                f"{where} ({name}): a saved extension holds a base extension, "
                "not a reference to another saved extension."
            )
        return _clean_saved_reference(where, item)
    if name in registry.NOT_OFFERED:
        raise BadRequest(
            f"{where} ({name}): the extension {name!r} is not offered by the self-hosted "
            f"media library; supported: {', '.join(sorted(registry.EXTENSIONS))}."
        )
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


def _clean_saved_reference(where: str, item: dict[str, Any]) -> ExtensionRequest:
    unknown = sorted(set(item) - {"name", "id"})
    if unknown:
        raise BadRequest(
            f"{where} ({SAVED_EXTENSION}): unknown key {unknown[0]!r} (allowed: id).",
            field=unknown[0],
        )
    saved_id = item.get("id")
    if not isinstance(saved_id, str) or not saved_id:
        raise BadRequest(
            f"{where} ({SAVED_EXTENSION}): id is required and must be a string.", field="id"
        )
    saved = SavedExtension.objects.filter(saved_id=saved_id).first()
    if saved is None:
        raise BadRequest(
            f"{where} ({SAVED_EXTENSION}): no saved extension with id {saved_id!r}.", field="id"
        )
    return _clean_item(f"{where} ({SAVED_EXTENSION} {saved_id})", saved.config, allow_saved=False)
