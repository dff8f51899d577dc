"""Django admin for the helpdesk models: read what happened, fix what must be fixed."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from helpdesk.models import Account, Attachment, Message, Ticket, TicketEvent, User


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "monthly_fee", "currency", "is_active", "created_at"]
    list_filter = ["plan", "currency", "is_active"]
    search_fields = ["name"]
    list_select_related = ["plan"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "role", "account", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_superuser", "account__plan"]
    search_fields = ["username", "email", "first_name", "last_name", "account__name"]
    list_select_related = ["account"]
    fieldsets = DjangoUserAdmin.fieldsets + (("Pledge", {"fields": ("role", "account", "timezone")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("Pledge", {"fields": ("role", "account", "email")}),
    )


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
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id", "subject", "account", "priority", "status", "created_at",
        "work_started_deadline", "work_started_at",
    ]
    list_filter = ["status", "priority", "plan", "account"]
    search_fields = ["subject", "description", "account__name", "affected_service"]
    date_hierarchy = "created_at"
    list_select_related = ["account"]
    readonly_fields = [
        "created_at", "updated_at", "plan", "promise", "work_started_target",
        "work_started_deadline", "at_risk_at", "deadline_version", "previous_deadline",
        "downgraded_from", "work_started_at", "work_started_by", "resolved_at", "closed_at",
        "status",
    ]
    raw_id_fields = ["created_by", "account"]
    inlines = [MessageInline, EventInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
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
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "code", "actor", "at"]
    list_filter = ["code"]
    search_fields = ["ticket__subject", "code"]
    raw_id_fields = ["ticket", "actor"]
    date_hierarchy = "at"

    def has_change_permission(self, request, obj=None):
        return False
