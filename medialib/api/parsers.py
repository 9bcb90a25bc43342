"""The parser of the API's JSON bodies: a JSON object, or a 400 saying what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JsonObjectParser(JSONParser):
    """JSONParser for bodies that must be an object, as every JSON body of the API is."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError as error:
            raise ParseError(f"The request body is not valid JSON: {error.detail}") from None
        except RecursionError:
            raise ParseError("The request body is nested too deeply.") from None
        if not isinstance(data, dict):
            raise ParseError("The request body must be a JSON object.")
        return data
