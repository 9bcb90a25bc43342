"""The parser of the API's JSON bodies: a JSON object, or a 400 saying what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.exceptions import BadRequest
from medialib.services import rules


class JsonObjectParser(JSONParser):
    """JSONParser for bodies that must be an object, as every JSON body of the API is.

    The body is bounded in size and depth before it is parsed, and no string in it may
    hold NUL (medialib.services.rules.clean_json_text).
    """

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        limit = rules.MAX_JSON_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        try:
            data = rules.clean_json_text(raw or b"", field="The request body", max_bytes=limit)
        except BadRequest as error:
            raise ParseError(error.message) from None
        if not isinstance(data, dict):
            raise ParseError("The request body must be a JSON object.")
        return data
