"""How mail about a ticket is threaded, as told by the app that reads the replies (helpdesk.mailbox).

Tickets sit below the mail app and never import it: it registers a provider here in its
AppConfig.ready(). The provider records the Message-ID of each mail and returns the options for
`send_templated_mail` (headers and a reply-to address that routes an answer back to the ticket).
Without one (no mail app), ticket mail is sent unthreaded.
"""

from collections.abc import Callable

Provider = Callable[..., dict]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """`provider(ticket=..., kind=...)` returns keyword options for send_templated_mail."""
    if provider not in _providers:
        _providers.append(provider)


def mail_options(ticket, *, kind: str) -> dict:
    options: dict = {}
    for provide in _providers:
        options.update(provide(ticket=ticket, kind=kind))
    return options
