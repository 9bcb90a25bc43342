"""Saved extensions: a named configuration of one base extension, run by id."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.exceptions import BadRequest, NotFound
from extensions.models import SavedExtension
from extensions.services.validation import clean_extension_config

NAME_MAX = 255


def _clean_text(value: Any, *, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be a string.", field=field)
    value = value.strip()
    if field == "name" and not value:
        raise BadRequest("name must not be empty.", field=field)
    if max_length and len(value) > max_length:
        raise BadRequest(f"{field} must be at most {max_length} characters.", field=field)
    return value


def saved_extension_create(*, name: Any, description: Any, config: Any) -> SavedExtension:
    """A new saved extension; every field checked before anything is stored."""
    return SavedExtension.objects.create(
        name=_clean_text(name, field="name", max_length=NAME_MAX),
        description=_clean_text(description, field="description"),
        config=clean_extension_config(config),
    )


def saved_extension_get(*, saved_id: str) -> SavedExtension:
    saved = SavedExtension.objects.filter(saved_id=saved_id).first()
    if saved is None:
        raise NotFound("No saved extension found with id " + saved_id)
    return saved


def saved_extension_update(*, saved_id: str, changes: dict[str, Any]) -> SavedExtension:
    """Change `name`, `description` and/or `config`; omitted ones stay as they are."""
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = _clean_text(changes["name"], field="name", max_length=NAME_MAX)
    if "description" in changes:
        clean["description"] = _clean_text(changes["description"], field="description")
    if "config" in changes:
        clean["config"] = clean_extension_config(changes["config"])
    with transaction.atomic():
        saved = SavedExtension.objects.select_for_update().filter(saved_id=saved_id).first()
        if saved is None:
            raise NotFound("No saved extension found with id " + saved_id)
        for key, value in clean.items():
            setattr(saved, key, value)
        saved.save()
    return saved


def saved_extension_delete(*, saved_id: str) -> None:
    """Delete it; runs it started keep their own copy of the configuration."""
    deleted, _ = SavedExtension.objects.filter(saved_id=saved_id).delete()
    if not deleted:
        raise NotFound("No saved extension found with id " + saved_id)
