"""Mail about promises: a clock at risk (engineers), a clock missed (the account's people and engineers).

Celery tasks, sent after the change commits: they take ids, re-read, and send what is still true.
"""

from celery import shared_task

from helpdesk.accounts.selectors import account_emails, engineer_emails
from helpdesk.kit.mail import send_templated_mail
from helpdesk.tickets.models import Ticket
from sla.clocks.models import Miss


@shared_task(ignore_result=True)
def notify_missed(miss_ids: list[int]) -> int:
    sent = 0
    for miss in (
        Miss.objects.select_related("ticket", "ticket__account__plan").filter(pk__in=miss_ids).order_by("pk")
    ):
        sent += send_templated_mail(
            template="clocks/emails/missed",
            recipients=account_emails(miss.account_id) + engineer_emails(),
            ticket=miss.ticket,
            miss=miss,
        )
    return sent


@shared_task(ignore_result=True)
def notify_at_risk(ticket_ids: list[int]) -> int:
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids, miss_pending=True, responded_at__isnull=True)
        .select_related("account")
        .order_by("work_started_deadline")
    )
    if not tickets:
        return 0
    return send_templated_mail(
        template="clocks/emails/at_risk", recipients=engineer_emails(), tickets=tickets
    )
