"""Custom metadata fields (`/v1/customMetadataFields`) and the check of `customMetadata`.

Once at least one field is declared, `customMetadata` on upload and update may only
use declared (not deleted) names, each value must match its field's type and limits,
and an upload gets the defaults and must carry the required values. With no field
declared at all, `customMetadata` stays a free JSON object (as before fields existed).

Values are stored in one form per type, so that `searchQuery` can compare them: a
Date as UTC to the millisecond ("2024-01-31T00:00:00.000Z", given as a date or any
ISO 8601 date and time), a MultiSelect as a list; other types as given.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from django.db import IntegrityError, transaction

from core.exceptions import BadRequest, NotFound
from medialib.models import CustomMetadataField

TYPES = ("Text", "Textarea", "Number", "Date", "Boolean", "SingleSelect", "MultiSelect")
SCHEMA_KEYS = {
    "type",
    "minValue",
    "maxValue",
    "minLength",
    "maxLength",
    "selectOptions",
    "defaultValue",
    "isValueRequired",
}
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
FIELD_NOT_FOUND = "CUSTOM_METADATA_FIELD_NOT_FOUND"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_date(value: Any, *, what: str) -> datetime:
    """An ISO 8601 date or date and time as a naive UTC datetime (no offset: UTC)."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC)
            return parsed.replace(tzinfo=None)
        try:
            return datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            pass
    raise BadRequest(f"{what} must be an ISO 8601 date.")


def stored_date_form(when: datetime) -> str:
    """How a Date value is stored: UTC to the millisecond, "2024-01-31T00:00:00.000Z".

    The form of the API's own timestamps; being of fixed width, stored values compare
    as strings in time order, which is how `searchQuery` compares them on any database.
    A naive `when` is taken as UTC.
    """
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="milliseconds") + "Z"


def stored_value(schema: dict[str, Any], value: Any) -> Any:
    """A checked value in the form it is stored in: a Date as `stored_date_form`, a
    MultiSelect as a list (one option may be given alone)."""
    if schema["type"] == "Date":
        return stored_date_form(_as_date(value, what="value"))
    if schema["type"] == "MultiSelect" and not isinstance(value, list):
        return [value]
    return value


def clean_schema(value: Any) -> dict[str, Any]:
    """A field's schema: a known type and limits that fit it."""
    if not isinstance(value, dict):
        raise BadRequest("schema must be an object.")
    unknown = set(value) - SCHEMA_KEYS
    if unknown:
        raise BadRequest(f"schema: unknown key {sorted(unknown)[0]!r}.")
    kind = value.get("type")
    if kind not in TYPES:
        raise BadRequest("schema.type must be one of " + ", ".join(TYPES) + ".")
    schema = {key: item for key, item in value.items() if item is not None}
    if kind in ("Number", "Date"):
        for key in ("minValue", "maxValue"):
            if key in schema:
                if kind == "Number" and not _is_number(schema[key]):
                    raise BadRequest(f"schema.{key} must be a number.")
                if kind == "Date":
                    _as_date(schema[key], what=f"schema.{key}")
    elif {"minValue", "maxValue"} & set(schema):
        raise BadRequest(f"schema.minValue and maxValue apply to Number and Date, not {kind}.")
    if kind in ("Text", "Textarea"):
        for key in ("minLength", "maxLength"):
            if key in schema and (not _is_number(schema[key]) or schema[key] < 0):
                raise BadRequest(f"schema.{key} must be a number of characters.")
    elif {"minLength", "maxLength"} & set(schema):
        raise BadRequest(f"schema.minLength and maxLength apply to Text and Textarea, not {kind}.")
    if kind in ("SingleSelect", "MultiSelect"):
        options = schema.get("selectOptions")
        if not isinstance(options, list) or not options:
            raise BadRequest("schema.selectOptions must be a non-empty array for " + kind + ".")
    elif "selectOptions" in schema:
        raise BadRequest(
            f"schema.selectOptions applies to SingleSelect and MultiSelect, not {kind}."
        )
    if "isValueRequired" in schema and not isinstance(schema["isValueRequired"], bool):
        raise BadRequest("schema.isValueRequired must be a boolean.")
    if schema.get("isValueRequired") and "defaultValue" not in schema:
        raise BadRequest("schema.defaultValue is required when isValueRequired is true.")
    if "defaultValue" in schema:
        value_check(schema, schema["defaultValue"], what="schema.defaultValue")
    return schema


def value_check(schema: dict[str, Any], value: Any, *, what: str) -> None:
    """Raise a 400 naming `what` unless `value` fits the schema's type and limits."""
    kind = schema["type"]
    if kind in ("Text", "Textarea"):
        if not isinstance(value, str):
            raise BadRequest(f"{what} must be a string.")
        if len(value) < schema.get("minLength", 0):
            raise BadRequest(f"{what} is shorter than {schema['minLength']:g} characters.")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise BadRequest(f"{what} is longer than {schema['maxLength']:g} characters.")
    elif kind == "Number":
        if not _is_number(value):
            raise BadRequest(f"{what} must be a number.")
        if "minValue" in schema and value < schema["minValue"]:
            raise BadRequest(f"{what} is less than {schema['minValue']}.")
        if "maxValue" in schema and value > schema["maxValue"]:
            raise BadRequest(f"{what} is more than {schema['maxValue']}.")
    elif kind == "Date":
        when = _as_date(value, what=what)
        if "minValue" in schema and when < _as_date(schema["minValue"], what="minValue"):
            raise BadRequest(f"{what} is before {schema['minValue']}.")
        if "maxValue" in schema and when > _as_date(schema["maxValue"], what="maxValue"):
            raise BadRequest(f"{what} is after {schema['maxValue']}.")
    elif kind == "Boolean":
        if not isinstance(value, bool):
            raise BadRequest(f"{what} must be true or false.")
    elif kind == "SingleSelect":
        if value not in schema["selectOptions"]:
            raise BadRequest(f"{what} must be one of the field's selectOptions.")
    elif kind == "MultiSelect":
        values = value if isinstance(value, list) else [value]
        if any(item not in schema["selectOptions"] for item in values):
            raise BadRequest(f"{what} must be among the field's selectOptions.")


def custom_metadata_check(values: dict[str, Any], *, new_file: bool) -> dict[str, Any]:
    """`customMetadata` checked against the declared fields; a new file gets the defaults
    and must carry the required values. Returns the values to store."""
    fields = list(CustomMetadataField.objects.all())
    if not fields:
        return values
    live = {field.name: field for field in fields if not field.deleted}
    for name, value in values.items():
        field = live.get(name)
        if field is None:
            raise BadRequest(f"customMetadata.{name} is not a defined custom metadata field.")
        if value is None:
            if field.schema.get("isValueRequired"):
                raise BadRequest(f"customMetadata.{name} is required.")
            continue
        value_check(field.schema, value, what=f"customMetadata.{name}")
    if new_file:
        for name, field in live.items():
            if name not in values and "defaultValue" in field.schema:
                values = {**values, name: field.schema["defaultValue"]}
    return {
        name: stored_value(live[name].schema, value)
        for name, value in values.items()
        if value is not None
    }


def field_create(
    *, name: Any, label: Any, schema: Any, description: Any = ""
) -> CustomMetadataField:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BadRequest("name must be 1 to 128 letters, digits, '_' or '-'.")
    if not isinstance(label, str) or not label.strip() or len(label) > 128:
        raise BadRequest("label must be a non-empty string of at most 128 characters.")
    if not isinstance(description, str):
        raise BadRequest("description must be a string.")
    clean = clean_schema(schema)
    if CustomMetadataField.objects.filter(name=name).exists():
        raise BadRequest(f"A custom metadata field named {name!r} already exists.")
    if CustomMetadataField.objects.filter(label=label, deleted=False).exists():
        raise BadRequest(f"A custom metadata field labelled {label!r} already exists.")
    try:
        with transaction.atomic():
            return CustomMetadataField.objects.create(
                name=name, label=label, schema=clean, description=description
            )
    except IntegrityError:
        raise BadRequest(f"A custom metadata field named {name!r} already exists.") from None


def field_get(*, field_id: str) -> CustomMetadataField:
    field = CustomMetadataField.objects.filter(field_id=field_id, deleted=False).first()
    if field is None:
        raise NotFound("No custom metadata field found with id " + field_id, reason=FIELD_NOT_FOUND)
    return field


def field_update(*, field_id: str, changes: dict[str, Any]) -> CustomMetadataField:
    """Change `label`, `description` and/or the schema (its type stays)."""
    field = field_get(field_id=field_id)
    if "label" in changes:
        label = changes["label"]
        if not isinstance(label, str) or not label.strip() or len(label) > 128:
            raise BadRequest("label must be a non-empty string of at most 128 characters.")
        field.label = label
    if "description" in changes:
        if not isinstance(changes["description"], str):
            raise BadRequest("description must be a string.")
        field.description = changes["description"]
    if "schema" in changes:
        if not isinstance(changes["schema"], dict):
            raise BadRequest("schema must be an object.")
        new_type = changes["schema"].get("type", field.schema["type"])
        if new_type != field.schema["type"]:
            raise BadRequest("schema.type of a field cannot be changed.")
        field.schema = clean_schema({**field.schema, **changes["schema"]})
    field.save()
    return field


def field_delete(*, field_id: str) -> None:
    """Hide the field; files keep their values."""
    field = field_get(field_id=field_id)
    field.deleted = True
    field.save(update_fields=["deleted"])
