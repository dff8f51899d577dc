"""HTML forms of the billing pages: the shape of browser input. Rules stay in billing/services."""

from django import forms

from billing.models import ClaimStatus, DecisionReason
from billing.services.claims import NOTE_MAX
from helpdesk.kit.forms import LocalDateTimeField, MonthField


class ClaimOpenForm(forms.Form):
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label="Anything we should know",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. For instance, what the delay cost you.",
    )


class DisputeForm(forms.Form):
    note = forms.CharField(
        max_length=NOTE_MAX,
        label="What happened that Pledge did not record",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required. For instance: the reply did not answer the problem, and when it was answered.",
        error_messages={"required": "Say what happened that Pledge did not record."},
    )


class DenyForm(forms.Form):
    # No reason is chosen for the admin (only one the review proposes): a denial is a decision.
    reason = forms.ChoiceField(choices=[("", "Choose a reason…"), *DecisionReason.choices], label="Reason")
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label="Note to the customer",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the reason is “Other”.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "deny_%s")
        super().__init__(*args, **kwargs)


class ClaimFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        label="Status",
        choices=[("", "Any status"), *ClaimStatus.choices],
    )
    month = MonthField(required=False, label="Month")


class CloseMonthForm(forms.Form):
    month = MonthField(label="Month to close", help_text="Allowed from the month’s first day on.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "close_%s")
        super().__init__(*args, **kwargs)


class InvoiceFilterForm(forms.Form):
    month = MonthField(required=False, label="Month")
    status = forms.ChoiceField(
        required=False,
        label="Status",
        choices=[("", "Any"), ("unpaid", "Unpaid"), ("overdue", "Overdue"), ("paid", "Paid")],
    )


class TerminationRequestForm(forms.Form):
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional.",
    )


class TerminationDecisionForm(forms.Form):
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label="Note to the customer",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to decline.",
    )

    def __init__(self, *args, prefix_id: str = "", **kwargs):
        if prefix_id:
            kwargs.setdefault("auto_id", f"{prefix_id}_%s")
        super().__init__(*args, **kwargs)


class MarkPaidForm(forms.Form):
    paid_at = LocalDateTimeField(
        required=False, label="Paid at", help_text="When the payment arrived; empty: now."
    )


class OverviewMonthForm(forms.Form):
    """The month an account or engineer page shows (empty: the current one)."""

    month = MonthField(required=False, label="Month")


class AccountListForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, strip=True, label="Account name")
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000, label="Page")
