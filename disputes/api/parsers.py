"""The API's JSON parser: DRF's, made safe against hostile bodies.

- A body nested deeper than Python's JSON decoder can follow (100,000 "[" once raised RecursionError, a 500) is
  refused as malformed (400 `parse_error`).
- A NUL character anywhere in the body (a key or a string, at any depth) is refused the same way: PostgreSQL
  cannot store one, and no field of this API has a use for it."""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        if _has_nul(data):
            raise ParseError("JSON parse error - the body contains a NUL character (\\u0000).")
        return data


def _has_nul(value: Any) -> bool:
    """Whether a NUL hides in any string of a parsed body; iterative, so a deep body cannot overflow the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
