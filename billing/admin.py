"""Django admin for billing: read every record; decisions and money go through the services.

Claims are decided, vouchers issued and invoices closed on the billing pages (or by the
admin actions here, which call the same services): the admin never edits an amount, and an
issued invoice is read-only.
"""

from django import forms
from django.contrib import admin, messages

from billing.models import (
    AccountMonth,
    BillingEvent,
    Claim,
    Invoice,
    InvoiceLine,
    Subscription,
    TerminationRequest,
    Voucher,
)
from billing.services.claims import claim_approve
from billing.services.invoices import invoice_mark_paid
from billing.services.subscriptions import subscription_change, subscription_validate
from helpdesk.kit.errors import ConflictError, ValidationError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by services only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


TERM_FIELDS = ["account", "starts_on", "plan", "monthly_fee", "currency", "note"]


class SubscriptionForm(forms.ModelForm):
    """New terms, checked by the service's rules before the admin saves them through it."""

    class Meta:
        model = Subscription
        fields = TERM_FIELDS

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                subscription_validate(**{name: data.get(name) for name in TERM_FIELDS})
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, problems)
        return data


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["account", "starts_on", "plan", "monthly_fee", "currency", "created_by", "created_at"]
    list_filter = ["plan", "currency"]
    search_fields = ["account__name", "note"]
    raw_id_fields = ["account"]
    readonly_fields = ["created_by", "created_at"]
    list_select_related = ["account", "plan", "created_by"]

    def has_change_permission(self, request, obj=None):
        return obj is None  # a term is replaced by a new one, never edited in place

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = subscription_change(
            account=data["account"],
            starts_on=data["starts_on"],
            plan=data["plan"],
            monthly_fee=data["monthly_fee"],
            currency=data["currency"],
            actor=request.user,
            note=data.get("note", ""),
        )
        obj.pk = created.pk


@admin.register(AccountMonth)
class AccountMonthAdmin(ReadOnlyAdmin):
    list_display = [
        "account",
        "month",
        "plan",
        "monthly_fee",
        "currency",
        "voucher_percent",
        "monthly_cap_percent",
        "termination_threshold",
        "termination_eligible",
        "eligible_since",
    ]
    list_filter = ["termination_eligible", "month", "currency"]
    search_fields = ["account__name", "month"]
    list_select_related = ["account", "plan"]


@admin.action(description="Approve the selected pending claims (issues their vouchers)")
def approve_claims(modeladmin, request, queryset):
    done = 0
    for claim in queryset.order_by("pk"):
        try:
            claim_approve(claim=claim, actor=request.user)
            done += 1
        except ConflictError as exc:
            messages.warning(request, f"Claim {claim.pk}: {exc.message}")
    messages.success(request, f"{done} claim(s) approved.")


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "month", "miss", "status", "decision_reason", "created_at", "decided_at"]
    list_filter = ["status", "decision_reason", "month"]
    search_fields = ["account__name", "note", "decision_note"]
    list_select_related = ["account", "miss"]
    actions = [approve_claims]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the changelist (and its action), never the form


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "month",
        "amount",
        "requested_amount",
        "currency",
        "capped",
        "invoice",
        "issued_at",
    ]
    list_filter = ["capped", "currency", "month"]
    search_fields = ["account__name"]
    list_select_related = ["account", "invoice"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["position", "kind", "description", "amount", "voucher"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.action(description="Mark the selected invoices paid")
def mark_paid(modeladmin, request, queryset):
    done = 0
    for invoice in queryset.filter(paid_at__isnull=True).order_by("pk"):
        invoice_mark_paid(invoice=invoice, actor=request.user)
        done += 1
    messages.success(request, f"{done} invoice(s) marked paid.")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "month",
        "subscription_amount",
        "credit_applied",
        "total",
        "carried_out",
        "currency",
        "issued_at",
        "due_on",
        "paid_at",
    ]
    list_filter = ["month", "currency"]
    search_fields = ["account__name"]
    list_select_related = ["account"]
    inlines = [InvoiceLineInline]
    actions = [mark_paid]

    def has_change_permission(self, request, obj=None):
        return obj is None


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "position", "kind", "description", "amount", "voucher"]
    list_filter = ["kind"]
    list_select_related = ["invoice", "voucher"]


@admin.register(TerminationRequest)
class TerminationRequestAdmin(ReadOnlyAdmin):
    list_display = ["account", "month", "status", "requested_at", "decided_at", "ends_on"]
    list_filter = ["status"]
    search_fields = ["account__name", "note", "decision_note"]
    list_select_related = ["account"]


@admin.register(BillingEvent)
class BillingEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "code", "account", "month", "actor", "claim", "invoice"]
    list_filter = ["code"]
    search_fields = ["account__name", "code", "month"]
    date_hierarchy = "at"
    list_select_related = ["account", "actor"]
