"""Mail about promises: a clock at risk (engineers), a clock missed (the account's people and engineers),
a progress update lapsed (the assignee, or the engineers on duty).

Celery tasks, sent after the change commits: they take ids, re-read, and send what is still true.
"""

from celery import shared_task

from helpdesk.accounts.models import NotificationCategory
from helpdesk.accounts.selectors import account_emails, engineer_emails, user_emails
from helpdesk.kit.mail import send_templated_mail
from helpdesk.kit.pages import duration_text
from helpdesk.tickets.models import Ticket
from sla.clocks.models import Miss, UpdateLapse


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


def engineers_to_tell(ticket: Ticket) -> list[str]:
    """The assignee, or every engineer on duty while nobody owns the ticket (less those who turned
    ticket updates off)."""
    if ticket.assignee_id is not None:
        mine = user_emails([ticket.assignee_id], category=NotificationCategory.TICKET_UPDATES)
        if mine:
            return mine
    return engineer_emails(category=NotificationCategory.TICKET_UPDATES)


@shared_task(ignore_result=True)
def notify_update_lapsed(lapse_ids: list[int]) -> int:
    """One mail per ticket naming its lapses; a ticket resolved since is not worth a mail."""
    by_ticket: dict[int, list[UpdateLapse]] = {}
    for lapse in UpdateLapse.objects.filter(pk__in=lapse_ids).order_by("ticket_id", "due_at"):
        by_ticket.setdefault(lapse.ticket_id, []).append(lapse)
    sent = 0
    for ticket in Ticket.objects.filter(pk__in=by_ticket, next_update_due__isnull=False).select_related(
        "account"
    ):
        sent += send_templated_mail(
            template="clocks/emails/update_lapsed",
            recipients=engineers_to_tell(ticket),
            ticket=ticket,
            lapses=by_ticket[ticket.pk],
            every=duration_text(ticket.promise.get("progress_update_every") or 0),
        )
    return sent
