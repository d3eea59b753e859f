"""The API's JSON parser: DRF's, made safe against hostile bodies. A body nested deeper than Python's JSON decoder
can follow (100,000 "[" once raised RecursionError, a 500) is refused as malformed (400 `parse_error`)."""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
