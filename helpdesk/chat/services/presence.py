"""Whether support staff are at the chat console: noted each time a console loads or refreshes."""

import datetime as dt

from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.chat import access
from helpdesk.chat.models import ConsolePresence
from helpdesk.kit import roles


def console_seen(*, user: User, now: dt.datetime | None = None) -> None:
    """Note that `user` has the chat console open now (its page polls every few seconds)."""
    roles.require(access.may_take_chats(user), "The chat console is for support staff.")
    ConsolePresence.objects.update_or_create(user=user, defaults={"seen_at": now or timezone.now()})
