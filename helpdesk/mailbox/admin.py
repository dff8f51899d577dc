from django.contrib import admin

from helpdesk.mailbox.models import InboundMail, SentMail


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "outcome", "sender", "subject", "reason", "ticket")
    list_filter = ("outcome",)
    search_fields = ("sender", "subject", "message_id")
    readonly_fields = [field.name for field in InboundMail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "kind", "ticket", "message_id")
    readonly_fields = [field.name for field in SentMail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
