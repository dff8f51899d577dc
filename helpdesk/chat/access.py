"""Who may see, join, write in, end and escalate a live chat."""

from helpdesk.accounts.models import User
from helpdesk.chat.models import ChatSession
from helpdesk.kit.roles import is_customer, is_staff

# --- live chat ------------------------------------------------------------------------
# Reading a session (its record and transcript) follows the account, like tickets; being
# on its socket, writing in it and ending it are for its parties: the customer who asked
# and support staff (only the engineer who accepted it writes on support's side).


def chats_visible_to(user: User):
    if is_staff(user):
        return ChatSession.objects.all()
    if is_customer(user):
        return ChatSession.objects.filter(account_id=user.account_id)
    return ChatSession.objects.none()


def may_request_chat(user: User) -> bool:
    return is_customer(user)


def may_take_chats(user: User) -> bool:
    """See the waiting line and accept chats."""
    return is_staff(user)


def may_log_phone_calls(user: User) -> bool:
    return is_staff(user)


def _asked_for(user: User, session) -> bool:
    return is_customer(user) and session.customer_id == user.pk and session.account_id == user.account_id


def may_join_chat(user: User, session) -> bool:
    """Be on the session's live socket: the customer who asked, or support staff."""
    return is_staff(user) or _asked_for(user, session)


def may_post_chat(user: User, session) -> bool:
    return _asked_for(user, session) or (is_staff(user) and session.engineer_id == user.pk)


def may_end_chat(user: User, session) -> bool:
    return is_staff(user) or _asked_for(user, session)


def may_escalate_chat(user: User, session) -> bool:
    """Turn a session into a ticket: staff on the customer's behalf, or the customer who asked."""
    return is_staff(user) or _asked_for(user, session)
