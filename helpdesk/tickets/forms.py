"""HTML forms: the shape of browser input (types, choices, sizes). Business rules stay in services."""

import copy

from django import forms
from django.utils.choices import BaseChoiceIterator

from helpdesk.tickets.models import TicketStatus
from sla.terms.models import Priority, Severity


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files; size and count limits are the attachment service's."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


ATTACHMENTS_HELP = "Screenshots, logs or exports. Up to 10 files."


class TicketForm(forms.Form):
    subject = forms.CharField(
        max_length=200,
        help_text="One line that says what is wrong.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="What happened, what you expected, and since when.",
    )
    priority = forms.ChoiceField(
        choices=Priority.choices,
        initial=Priority.GENERAL,
        widget=forms.RadioSelect,
    )
    severity = forms.ChoiceField(
        choices=[("", "Not sure")] + Severity.choices,
        required=False,
        help_text="How badly the problem affects your business.",
    )
    affected_service = forms.CharField(
        max_length=200,
        required=False,
        label="Affected service",
        help_text="For example: production web shop, payments API.",
    )
    service_unavailable = forms.BooleanField(
        required=False,
        label="The service is unavailable or inaccessible right now",
    )
    item = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Affected item",
        empty_label="None of these / not sure",
        help_text="The covered service or system the problem is about.",
    )
    attachments = MultipleFileField(help_text=ATTACHMENTS_HELP)

    def __init__(self, *args, uses_severity: bool = False, items=None, **kwargs):
        """`items`: the account's covered items a ticket may name (none: the field is left out)."""
        super().__init__(*args, **kwargs)
        if not uses_severity:
            del self.fields["severity"]
        if items is None or not items.exists():
            del self.fields["item"]
        else:
            self.fields["item"].queryset = items

    @property
    def affected_service_requirement(self) -> str:
        """When the affected service must be given: only for High (the item can stand for it)."""
        if "item" in self.fields:
            return "required for High, unless you choose the affected item"
        return "required for High"


class StaffTicketForm(TicketForm):
    """Staff open a ticket on a customer's behalf: who asked, and how the request reached us."""

    requester = forms.ModelChoiceField(queryset=None, label="Requester", help_text="Gets the replies.")
    channel = forms.ChoiceField(
        choices=[("phone", "Phone"), ("email", "E-mail"), ("web", "Web"), ("chat", "Chat")],
        initial="phone",
        label="Came in by",
    )

    def __init__(self, *args, requesters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = requesters
        self.fields["requester"].label_from_instance = lambda user: f"{user.display_name} <{user.email}>"
        self.order_fields(["requester", "channel"])


class ReplyForm(forms.Form):
    PUBLIC, INTERNAL = "public", "internal"

    body = forms.CharField(
        label="Message",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    visibility = forms.ChoiceField(
        choices=[(PUBLIC, "Reply to customer"), (INTERNAL, "Internal note")],
        initial=PUBLIC,
        required=False,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(help_text=ATTACHMENTS_HELP)

    def __init__(self, *args, internal_allowed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not internal_allowed:
            self.fields["visibility"].widget = forms.HiddenInput()

    @property
    def is_public(self) -> bool:
        return self.cleaned_data.get("visibility") != self.INTERNAL


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=TicketStatus.choices)
    reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)


class DowngradeForm(forms.Form):
    """Shown in a dialog next to other forms, so its ids carry their own prefix."""

    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reason shown to the customer",
        help_text="Why this is not an outage that makes a service unavailable.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "downgrade_%s")
        super().__init__(*args, **kwargs)


class UpgradeForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reason",
    )
    affected_service = forms.CharField(
        max_length=200,
        required=False,
        label="Affected service",
        help_text="The service that is down. Leave empty to keep the one on the ticket.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "upgrade_%s")
        super().__init__(*args, **kwargs)


class KeptChoices(BaseChoiceIterator):
    """(value, label) pairs already in the shape Django normalises choices to, kept between
    requests: a field given them uses them as they are (normalize_choices passes a
    BaseChoiceIterator through)."""

    def __init__(self, pairs):
        self.pairs = tuple((value, label) for value, label in pairs)

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Subject, text, replies, requester"}),
    )
    plan = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False, choices=[("", "Any priority")] + Priority.choices)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status")] + [(s.value, s.label) for s in TicketStatus],
    )
    # Checked against the accounts the viewer may see (a set), not a ChoiceField: with hundreds
    # of accounts, copying and normalising the choices on every page turn cost more than the rows.
    account = forms.CharField(required=False, max_length=20)
    # --- workspace (issue 14)
    sla_state = forms.ChoiceField(
        required=False,
        label="SLA",
        choices=[("", "Any SLA state"), ("running", "Running"), ("at_risk", "At risk"), ("met", "Met")]
        + [("missed", "Missed")],
    )
    assignee = forms.ChoiceField(required=False)
    tag = forms.ChoiceField(required=False)
    view = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    ordering = forms.ChoiceField(
        required=False,
        label="Sort",
        choices=[("", "Deadline (unstarted first)"), ("newest", "Newest first")],
    )

    def __init__(self, *args, choices: dict, **kwargs):
        """`choices`: what prepare_choices made of the queue's kept lists (selectors.queue_lists)."""
        super().__init__(*args, **kwargs)
        for name in ("plan", "assignee", "tag", "view"):
            self.fields[name].choices = choices[name]
        self.account_choices = choices["account_choices"]
        self._account_ids = choices["account_ids"]

    @staticmethod
    def prepare_choices(*, plans=(), accounts=(), engineers=(), tags=(), views=()) -> dict:
        """The form's choices as it sets them, made once from the lists and reused by every form
        built from the same lists: Django would copy and normalise each list on every page turn."""
        return {
            "plan": KeptChoices([("", "Any plan"), *plans]),
            "assignee": KeptChoices(
                [
                    ("", "Anyone"),
                    ("me", "Me"),
                    ("none", "Unassigned"),
                    *((str(pk), name) for pk, name in engineers),
                ]
            ),
            "tag": KeptChoices([("", "Any tag"), *tags]),
            "view": KeptChoices([("", "Open"), *views]),
            "account_choices": (("", "Any account"), *((str(pk), name) for pk, name in accounts)),
            "account_ids": frozenset(pk for pk, _ in accounts),
        }

    def clean_account(self) -> int | None:
        value = self.cleaned_data.get("account")
        if not value:
            return None
        account = int(value) if value.isascii() and value.isdigit() else None
        if account not in self._account_ids:
            raise forms.ValidationError(
                "Select a valid choice. %(value)s is not one of the available choices.",
                code="invalid_choice",
                params={"value": value},
            )
        return account

    @property
    def filters(self) -> dict:
        """The valid, non-empty filters (call after is_valid())."""
        return {name: value for name, value in self.cleaned_data.items() if value}


class _FieldsCopiedShallow(dict):
    """A form's base fields that each form gets as shallow copies (its own field and widget, the
    widget's own attrs) instead of Django's deep copy. The queue's filter form is built on every
    page turn and poll, its fields' choices and validators are only ever read or replaced, never
    changed in place, and the deep copy was half of building it."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, field in self.items():
            field = copy.copy(field)
            field.widget = copy.copy(field.widget)
            field.widget.attrs = dict(field.widget.attrs)
            copies[name] = field
        return copies


QueueFilterForm.base_fields = _FieldsCopiedShallow(QueueFilterForm.base_fields)


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60, strip=True)


class AssignForm(forms.Form):
    """Who gets the ticket: "me", a staff user id, or empty to unassign."""

    assignee = forms.RegexField(regex=r"^(me|[1-9][0-9]{0,17})?$", required=False, max_length=18)


class PortalFilterForm(forms.Form):
    show = forms.ChoiceField(
        required=False,
        choices=[("open", "Open"), ("all", "All")],
        initial="open",
    )


class TagForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=50,
        help_text="Lowercase letters, digits and hyphens, e.g. “billing-question”.",
    )
    internal = forms.BooleanField(label="Internal: only staff see it", required=False)


class CannedReplyForm(forms.Form):
    title = forms.CharField(label="Title", max_length=100)
    body = forms.CharField(
        label="Text",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Placeholders filled in for each ticket: {customer_name}, {ticket_number}, {deadline}.",
    )
