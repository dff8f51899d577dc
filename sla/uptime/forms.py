"""Uptime's forms: the shape of browser input."""

from django import forms
from django.utils import timezone

from helpdesk.accounts.models import ItemState, ProbeKind
from helpdesk.kit.forms import LocalDateTimeField, MonthField
from sla.uptime import selectors
from sla.uptime.models import MaintenanceKind

# --- forms: the shape of browser input -----------------------------------------------------------


class ItemForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    description = forms.CharField(
        max_length=2000, required=False, label="Description", widget=forms.Textarea(attrs={"rows": 2})
    )
    level = forms.ChoiceField(label="Priority level")
    probe_kind = forms.ChoiceField(choices=ProbeKind.choices, label="Probe")
    probe_url = forms.CharField(
        max_length=500, required=False, label="URL", help_text="For an HTTP probe: http:// or https://."
    )
    probe_expected_status = forms.IntegerField(
        min_value=100, max_value=599, initial=200, label="Expected status"
    )
    probe_host = forms.CharField(max_length=253, required=False, label="Host", help_text="For a TCP probe.")
    probe_port = forms.IntegerField(min_value=1, max_value=65535, required=False, label="Port")
    is_active = forms.BooleanField(required=False, initial=True, label="Active (probed and shown)")

    def __init__(self, *args, accounts=None, account_id: int | None = None, **kwargs):
        """`account_id`: the item's account, whose plan's levels (and guarantees) are offered.

        Without it (a new item, its account chosen in the form) every plan's level names are
        offered and the service checks the one chosen against the account's plan.
        """
        super().__init__(*args, **kwargs)
        levels = selectors.uptime_levels(account_id=account_id)
        if account_id is not None:
            self.fields["level"].choices = [(name, f"{name} — {value}%") for name, value in levels.items()]
        else:
            self.fields["level"].choices = [(name, name) for name in levels]
            self.fields["level"].help_text = "The guarantee of the level comes from the account's plan."
        self.fields["level"].initial = selectors.default_level(account_id=account_id)
        if accounts is not None:
            self.fields["account"] = forms.ModelChoiceField(queryset=accounts, label="Account")
            self.order_fields(["account"])


class DowntimeRecordForm(forms.Form):
    item = forms.ModelChoiceField(queryset=None, label="Item")
    starts_at = LocalDateTimeField(label="Down since")
    ends_at = LocalDateTimeField(required=False, label="Up again", help_text="Leave empty while it lasts.")
    note = forms.CharField(
        max_length=2000, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: f"{item.account.name} · {item.name}"


class DowntimeCorrectForm(forms.Form):
    starts_at = LocalDateTimeField(label="Down since")
    ends_at = LocalDateTimeField(required=False, label="Up again", help_text="Empty: still down.")
    reason = forms.CharField(max_length=2000, label="Why", widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=2000, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, label="Why", widget=forms.Textarea(attrs={"rows": 2}))


class TicketLinkForm(forms.Form):
    ticket = forms.IntegerField(min_value=1, max_value=2**63 - 1, label="Ticket number")


class MaintenanceForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, label="Account")
    item = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every item of the account", label="Item"
    )
    kind = forms.ChoiceField(choices=MaintenanceKind.choices, label="Kind")
    starts_at = LocalDateTimeField(label="Starts")
    ends_at = LocalDateTimeField(label="Ends")
    note = forms.CharField(
        max_length=2000, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, accounts, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: f"{item.account.name} · {item.name}"
        # Optional for a scheduled window; an emergency one is declared afterwards and says why.
        self.fields["note"].requirement = "required for an emergency window"
        self.fields["note"].help_text = "Why the emergency work was needed (billing admins record it)."
        zone = timezone.get_current_timezone_name()
        self.fields[
            "starts_at"
        ].help_text = f"In your time zone, {zone}. A scheduled window starts in the future."


class ItemFilterForm(forms.Form):
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account")
    state = forms.ChoiceField(required=False, label="State", choices=[("", "Any state"), *ItemState.choices])

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account")] + [(a.pk, a.name) for a in accounts]


class IncidentFilterForm(forms.Form):
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account")
    ongoing = forms.ChoiceField(
        required=False, label="State", choices=[("", "Ongoing or ended"), ("yes", "Ongoing"), ("no", "Ended")]
    )
    month = MonthField(required=False, label="Month")

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account")] + [(a.pk, a.name) for a in accounts]


class MonthViewForm(forms.Form):
    month = MonthField(required=False, label="Month")
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account")

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account")] + [(a.pk, a.name) for a in accounts]
