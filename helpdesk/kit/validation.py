"""Input hygiene shared by every service: text that is present, bounded and printable."""

import unicodedata

_ALLOWED_CONTROL = {"\n", "\r", "\t"}


def clean_text(value, *, field: str, max_length: int, errors: dict, required: bool = True) -> str:
    """Strip and check a text field; problems are added to `errors` under `field`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(field, []).append("Must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors.setdefault(field, []).append("This field is required.")
    elif len(value) > max_length:
        errors.setdefault(field, []).append(
            f"Ensure this field has no more than {max_length} characters (it has {len(value)})."
        )
    elif any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL for ch in value):
        errors.setdefault(field, []).append("Contains control characters.")
    return value
