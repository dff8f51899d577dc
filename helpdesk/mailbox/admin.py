from django.contrib import admin, messages

from helpdesk.mailbox.models import InboundMail, InboundOutcome, SentMail
from helpdesk.mailbox.services.ingest import mail_release_held


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "outcome", "sender", "subject", "reason", "ticket")
    list_filter = ("outcome",)
    search_fields = ("sender", "subject", "message_id")
    readonly_fields = [field.name for field in InboundMail._meta.fields]
    actions = ["release"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Ingest held mail again (after adding its sender as a customer)")
    def release(self, request, queryset):
        for inbound in queryset.filter(outcome=InboundOutcome.HELD):
            result = mail_release_held(inbound_id=inbound.pk)
            level = messages.SUCCESS if result.ticket_id else messages.WARNING
            self.message_user(request, f"{inbound.sender}: {result.outcome} {result.reason}", level)


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "kind", "ticket", "message_id")
    readonly_fields = [field.name for field in SentMail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
