"""Form fields every app's pages share: months and local date-times."""

from django import forms
from django.core.exceptions import ValidationError

from helpdesk.kit.months import is_month

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def validate_month(value: str) -> None:
    if value and not is_month(value):
        raise ValidationError("Give a month as YYYY-MM, between 2000-01 and 2100-12.", code="invalid")


class MonthField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}))
        kwargs.setdefault("max_length", 7)
        super().__init__(validators=[validate_month], **kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input, read in the viewer's time zone (the active one)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)
