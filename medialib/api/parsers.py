"""The parser of the API's JSON bodies: a JSON object, or a 400 saying what is wrong."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from medialib.services import rules


class JsonObjectParser(JSONParser):
    """JSONParser for bodies that must be an object, as every JSON body of the API is.

    The body is bounded in size and depth before it is parsed.
    """

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        limit = rules.MAX_JSON_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"The request body is larger than {limit} bytes.")
        # Bounded before parsing: json's recursion limit would escape as a 500. NUL is
        # left to each field's rule, which names the field.
        if rules.json_depth_exceeds(raw.decode("utf-8", "replace"), rules.MAX_JSON_DEPTH):
            raise ParseError(
                f"The request body is nested deeper than {rules.MAX_JSON_DEPTH} levels."
            )
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except ParseError as error:
            raise ParseError(f"The request body is not valid JSON: {error.detail}") from None
        except RecursionError:
            raise ParseError("The request body is nested too deeply.") from None
        if not isinstance(data, dict):
            raise ParseError("The request body must be a JSON object.")
        return data
