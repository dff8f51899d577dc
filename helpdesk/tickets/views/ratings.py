"""Rating a resolved ticket: from the ticket page, or from the one-click link in the resolved e-mail.

The e-mail link carries a signed token for one ticket and one person, so it works without a
login; opening it (GET) only shows the choice ready to confirm, because mail scanners open links.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.tickets import access, selectors
from helpdesk.tickets.models import Rating, Ticket, TicketRating, TicketStatus
from helpdesk.tickets.services import ratings
from helpdesk.tickets.services.ratings import rating_token_reader, ticket_rate


class RatingForm(forms.Form):
    rating = forms.ChoiceField(choices=Rating.choices, widget=forms.RadioSelect, label="How did it go?")
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Anything to add?"
    )


def rating_context(user, ticket: Ticket) -> dict:
    rating = TicketRating.objects.filter(ticket=ticket).first()
    rateable = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    may_rate = rating is None and rateable and ratings.may_rate(user, ticket)
    return {"rating": rating, "may_rate": may_rate, "rating_form": RatingForm() if may_rate else None}


def _store(request, *, ticket: Ticket, user: User, form: RatingForm):
    """Run the service; None on success, else the status code to answer with."""
    try:
        ticket_rate(
            ticket=ticket, user=user, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
        )
    except roles.Denied as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        for problems in exc.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
        return 400
    except ConflictError as exc:
        messages.error(request, exc.message)
        return 409
    return None


@require_POST
@login_required
def ticket_rating(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose good or bad (a comment is at most 2000 characters).")
        return redirect("ticket_detail", pk=ticket.pk)
    refused = _store(request, ticket=ticket, user=request.user, form=form)
    if refused is None:
        messages.success(request, "Thank you for your rating.")
    return redirect("ticket_detail", pk=ticket.pk)


@require_http_methods(["GET", "POST"])
def rate_from_mail(request, token):
    found = rating_token_reader(token)
    if found is None:
        raise Http404("This rating link is not valid any more.")
    ticket = Ticket.objects.filter(pk=found[0]).first()
    user = User.objects.filter(pk=found[1], is_active=True).first()
    if ticket is None or user is None or not access.may_reply(user, ticket):
        raise Http404("This rating link is not valid any more.")
    rating = TicketRating.objects.filter(ticket=ticket).first()
    status = 200
    if request.method == "POST" and rating is None:
        form = RatingForm(request.POST)
        if form.is_valid():
            status = _store(request, ticket=ticket, user=user, form=form) or 200
            rating = TicketRating.objects.filter(ticket=ticket).first()
        else:
            status = 400
    else:
        form = RatingForm(initial={"rating": request.GET.get("rating", "")})
    return render(
        request, "tickets/rate.html", {"ticket": ticket, "rating": rating, "form": form}, status=status
    )
