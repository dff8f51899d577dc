"""HTML forms of the SLA pages: the shape of browser input. Rules stay in sla/services."""

from django import forms
from django.utils import timezone

from helpdesk.kit.forms import LocalDateTimeField, MonthField
from sla.clocks.models import ExclusionKind


class MissFilterForm(forms.Form):
    month = MonthField(required=False)
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    counted = forms.ChoiceField(
        required=False,
        label="Counted",
        choices=[("", "Counted or not"), ("yes", "Counted"), ("no", "Not counted")],
    )

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if accounts is None:
            del self.fields["account"]
        else:
            self.fields["account"].choices = [("", "Any account")] + [(a.pk, a.name) for a in accounts]

    @property
    def filters(self) -> dict:
        """The selector's keyword filters (call after is_valid())."""
        data = self.cleaned_data
        filters = {"month": data.get("month") or "", "account": data.get("account")}
        if data.get("counted"):
            filters["counted"] = data["counted"] == "yes"
        return filters


class ReportMonthForm(forms.Form):
    month = MonthField(required=False, label="Month")


class ExclusionPeriodForm(forms.Form):
    kind = forms.ChoiceField(choices=ExclusionKind.choices, label="Kind")
    starts_at = LocalDateTimeField(label="Starts")
    ends_at = LocalDateTimeField(label="Ends")
    provider = forms.CharField(
        max_length=100,
        required=False,
        label="Provider",
        help_text="Required for a cloud provider failure, e.g. AWS eu-west-1.",
    )
    provider_sla_url = forms.URLField(
        max_length=200,
        required=False,
        label="Provider's SLA",
        assume_scheme="https",
        help_text="Link to the provider's own SLA.",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )
    note = forms.CharField(
        max_length=2000,
        required=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    account = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Every account",
        label="Account",
        help_text="Limit the period to one account, or leave it for every account.",
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        zone = timezone.get_current_timezone_name()
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = f"In your time zone, {zone}."


class ExclusionCancelForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the period no longer applies; kept on the period and the tickets it touched.",
    )
