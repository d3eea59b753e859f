"""Checks of free-text input shared by the services: trimmed, required or not, and capped in length."""

from disputes.errors import ValidationFailed, field_code

DEFAULT_MAX_TEXT = 2000


def clean_text(value: str | None, *, field: str, required: bool = True, max_length: int = DEFAULT_MAX_TEXT) -> str:
    """The trimmed text, or ValidationFailed with code `<field>_required` / `<field>_too_long`."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{field} is required.", code=field_code(field, "required"))
    if len(text) > max_length:
        raise ValidationFailed(f"{field} is at most {max_length} characters.", code=field_code(field, "max_length"))
    return text
