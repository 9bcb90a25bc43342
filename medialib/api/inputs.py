"""Small readers of API input shared by the views: JSON bodies and their fields."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.request import Request

from core.exceptions import BadRequest


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; BadRequest for anything else."""
    try:
        data = request.data
    except ParseError as error:
        raise BadRequest(f"The request body is not valid JSON: {error.detail}") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


def optional_bool(data: dict[str, Any], field: str, *, default: bool = False) -> bool:
    value = data.get(field, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"{field} must be true or false.")
    return value
