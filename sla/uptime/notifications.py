"""Mail about uptime: a maintenance window agreed, recorded (emergency) or cancelled."""

from celery import shared_task

from helpdesk.accounts.selectors import account_emails
from helpdesk.kit.mail import send_templated_mail
from sla.uptime.models import MaintenanceWindow


@shared_task(ignore_result=True)
def notify_maintenance(window_id: int, change: str) -> int:
    window = MaintenanceWindow.objects.select_related("account", "item").filter(pk=window_id).first()
    if window is None:
        return 0
    return send_templated_mail(
        template="uptime/emails/maintenance",
        recipients=account_emails(window.account_id),
        window=window,
        change=change,
    )
