"""What happens to a ticket's clock, for the app that keeps the record of misses (sla.clocks).

Tickets sit below the clocks and never import them. Each signal is sent inside the ticket
service's transaction, with the ticket row locked, so a receiver's writes commit or roll back
with the change; sla.clocks connects its receivers in its AppConfig.ready().
"""

from django.dispatch import Signal

# The clock is about to stop (work started): a deadline already passed is recorded first, so
# "met" and a miss never both stand. Arguments: ticket, now.
clock_stopping = Signal()

# The clock is about to be recounted on other terms (a downgrade): what the old clock recorded is
# voided, still visible, with who and why. Arguments: ticket, actor, reason, now.
clock_replacing = Signal()

# The recounted clock is saved: if its deadline has passed already, that is its miss.
# Arguments: ticket, now.
clock_recounted = Signal()

# A message was added (public reply or internal note), inside the service's transaction: the mail
# app sends the notification after commit. Arguments: message, now.
message_added = Signal()

# A ticket became Resolved: the customer is asked for a rating. Arguments: ticket, now.
ticket_resolved = Signal()

# A clock was started or recounted and saved (creation, downgrade, upgrade): the clocks move its
# deadline and at-risk instant later for the exclusion periods that pause it, on the ticket
# passed (saved in place). Arguments: ticket.
clock_set = Signal()

# A progress-update clock was set on the ticket (work started, a public staff update, a reopening),
# saved: the clocks move `next_update_due` later for the exclusion periods that pause it, on the
# ticket passed. Arguments: ticket.
progress_clock_set = Signal()
