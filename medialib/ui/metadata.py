"""The asset panel's custom metadata form: one input per declared field, by its type,
and the typed values read back from the submitted form.

The values go to medialib.services.asset_custom_metadata_edit, which checks them as
the API checks `customMetadata`; this module only turns form text into JSON types.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from core.exceptions import BadRequest
from medialib.models import Asset, CustomMetadataField
from medialib.services.metadata_fields import stored_value

INPUT_PREFIX = "metadata-"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Option:
    value: str  # the option as JSON, so that 5, "5" and true stay apart
    label: str
    selected: bool


@dataclass(frozen=True)
class MetadataInput:
    """A declared (not deleted) field as the panel edits it, with the file's value."""

    name: str
    label: str
    type: str
    required: bool
    value: str = ""  # for text, number and date inputs
    checked: bool = False  # a Boolean
    options: list[Option] = field(default_factory=list)  # a SingleSelect or MultiSelect
    min: str = ""
    max: str = ""
    min_length: int | None = None
    max_length: int | None = None

    @property
    def input_name(self) -> str:
        return INPUT_PREFIX + self.name


@dataclass(frozen=True)
class MetadataForm:
    inputs: list[MetadataInput]
    # Values the form does not edit (deleted fields, keys no field declares), kept as they are.
    kept: list[tuple[str, str]]


def metadata_form(*, asset: Asset) -> MetadataForm:
    """The inputs of the declared fields, in the order they were declared."""
    fields = list(CustomMetadataField.objects.filter(deleted=False))
    stored = asset.custom_metadata or {}
    live = {field.name for field in fields}
    kept = [
        (name, json.dumps(value, ensure_ascii=False))
        for name, value in sorted(stored.items())
        if name not in live
    ]
    return MetadataForm([_input(field, stored.get(field.name)) for field in fields], kept)


def _input(field: CustomMetadataField, value: Any) -> MetadataInput:
    schema = field.schema
    kind = schema["type"]
    common = {
        "name": field.name,
        "label": field.label,
        "type": kind,
        "required": bool(schema.get("isValueRequired")),
    }
    if kind in ("Text", "Textarea"):
        return MetadataInput(
            **common,
            value=value if isinstance(value, str) else "",
            min_length=_whole(schema.get("minLength")),
            max_length=_whole(schema.get("maxLength")),
        )
    if kind == "Number":
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return MetadataInput(
            **common,
            value=str(value) if is_number else "",
            min=_text(schema.get("minValue")),
            max=_text(schema.get("maxValue")),
        )
    if kind == "Date":
        return MetadataInput(
            **common,
            value=_day(value),
            min=_day(schema.get("minValue")),
            max=_day(schema.get("maxValue")),
        )
    if kind == "Boolean":
        return MetadataInput(**common, checked=value is True)
    chosen = value if isinstance(value, list) else [value]
    chosen_json = {json.dumps(item) for item in chosen if item is not None}
    options = [
        Option(json.dumps(option), str(option), json.dumps(option) in chosen_json)
        for option in schema.get("selectOptions", [])
    ]
    return MetadataInput(**common, options=options)


def _whole(number: Any) -> int | None:
    return None if number is None else int(number)


def _text(number: Any) -> str:
    return "" if number is None else str(number)


def _day(value: Any) -> str:
    """The UTC day of a Date value, as a date input shows it ("2024-01-31")."""
    if value is None:
        return ""
    try:
        return stored_value({"type": "Date"}, value)[:10]
    except BadRequest:
        return ""


def metadata_values(*, data: QueryDict, asset: Asset, form: MetadataForm) -> dict[str, Any]:
    """The value of every input of `form` from the submitted `data` (None: no value).

    A date left as it was keeps the stored time of day, which a date input cannot show.
    """
    stored = asset.custom_metadata or {}
    values: dict[str, Any] = {}
    for item in form.inputs:
        text = data.get(item.input_name, "")
        if item.type in ("Text", "Textarea"):
            values[item.name] = text or None
        elif item.type == "Number":
            values[item.name] = _number(item, text.strip())
        elif item.type == "Date":
            unchanged = text and text == item.value
            values[item.name] = stored.get(item.name) if unchanged else text or None
        elif item.type == "Boolean":
            # A checkbox sends nothing when unchecked: the field then holds false.
            values[item.name] = item.input_name in data
        elif item.type == "SingleSelect":
            values[item.name] = _option(item, text) if text else None
        else:
            chosen = [_option(item, choice) for choice in data.getlist(item.input_name)]
            values[item.name] = chosen or None
    return values


def _number(item: MetadataInput, text: str) -> int | float | None:
    if not text:
        return None
    if not _NUMBER.match(text):
        raise BadRequest(f"customMetadata.{item.name} must be a number.")
    number = Decimal(text)
    if not math.isfinite(float(number)):
        raise BadRequest(f"customMetadata.{item.name} must be a number.")
    return int(number) if number == number.to_integral_value() else float(number)


def _option(item: MetadataInput, choice: str) -> Any:
    try:
        return json.loads(choice)
    except ValueError:
        raise BadRequest(f"customMetadata.{item.name} must be one of its options.") from None


def error_for_form(message: str, form: MetadataForm) -> tuple[str, str | None]:
    """An error of the check in the panel's words: the field's label in place of
    `customMetadata.<name>`, and the name of the input to mark, if one is named."""
    for item in form.inputs:
        named = f"customMetadata.{item.name} "
        if message.startswith(named):
            return f"{item.label} {message.removeprefix(named)}", item.name
    return message, None
