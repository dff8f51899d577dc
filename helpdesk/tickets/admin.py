"""Django admin for tickets, messages, attachments and events."""

from django.contrib import admin

from helpdesk.kit.admin import EvidenceAdminMixin
from helpdesk.tickets.models import Attachment, Message, Ticket, TicketEvent


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["author", "public", "body", "created_at"]
    readonly_fields = fields
    can_delete = False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ["at", "code", "actor", "data"]
    readonly_fields = fields
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(EvidenceAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "subject",
        "account",
        "priority",
        "status",
        "created_at",
        "work_started_deadline",
        "work_started_at",
    ]
    list_filter = ["status", "priority", "plan", "account"]
    search_fields = ["subject", "description", "account__name", "affected_service"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "plan",
        "promise",
        "work_started_target",
        "work_started_deadline",
        "at_risk_at",
        "deadline_version",
        "previous_deadline",
        "downgraded_from",
        "work_started_at",
        "work_started_by",
        "resolved_at",
        "closed_at",
        "status",
    ]
    raw_id_fields = ["created_by", "account"]
    inlines = [MessageInline, EventInline]


@admin.register(Message)
class MessageAdmin(EvidenceAdminMixin, admin.ModelAdmin):
    list_display = ["id", "ticket", "author", "public", "created_at"]
    list_filter = ["public"]
    search_fields = ["body", "ticket__subject"]
    raw_id_fields = ["ticket", "author"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "ticket", "content_type", "size", "uploaded_by", "created_at"]
    search_fields = ["filename", "ticket__subject"]
    raw_id_fields = ["ticket", "message", "uploaded_by"]


@admin.register(TicketEvent)
class TicketEventAdmin(EvidenceAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "code", "actor", "at"]
    list_filter = ["code"]
    search_fields = ["ticket__subject", "code"]
    raw_id_fields = ["ticket", "actor"]
    date_hierarchy = "at"

    def has_change_permission(self, request, obj=None):
        return False
