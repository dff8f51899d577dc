"""Live chat pages: the customer's chat window, the engineers' console, history, phone calls.

Parse, check access, call one service or selector, render. The pages work without
JavaScript (forms post and redirect); chat.js makes them live over /ws/chats/.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.accounts import access as accounts_access
from helpdesk.chat import access, selectors
from helpdesk.chat.models import ChatEndReason, ChatKind, ChatMessageKind, ChatStatus
from helpdesk.chat.services import chats, escalation, presence
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.pages import add_service_errors, duration_text
from helpdesk.tickets.views.presentation import target_text

CONSOLE_RECENT = 20
EVENT_LABELS = {
    "requested": "Asked for a chat",
    "accepted": "Accepted",
    "warned": "Warned: the time limit is near",
    "ended": "Ended",
    "escalated": "Turned into a ticket",
    "phone_logged": "Phone call logged",
}
HISTORY_ROWS = 200


# --- forms (the shape of browser input; rules stay in the services) ----------------------


class ChatRequestForm(forms.Form):
    topic = forms.CharField(
        max_length=chats.MAX_TOPIC_LENGTH,
        required=False,
        label="What do you need help with?",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    message = forms.CharField(
        max_length=chats.MAX_MESSAGE_LENGTH,
        required=False,
        label="Your first message",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional. The engineer sees it as soon as they take the chat.",
    )


class ChatMessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=chats.MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
    )


class PhoneCallForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, empty_label="Choose an account")
    caller = forms.CharField(max_length=200, help_text="Who phoned.")
    started_at = forms.DateTimeField(
        label="Call started",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text="In your time zone.",
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=1,
        max_value=chats.MAX_CALL_SECONDS // 60,
    )
    notes = forms.CharField(
        max_length=chats.MAX_NOTES_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What was asked and what was said.",
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts


class HistoryFilterForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, required=False, empty_label="All accounts")

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts


def _denied(exc: roles.Denied):
    return PermissionDenied(str(exc))


# --- customer: ask for a chat ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def chat_portal(request):
    """The customer's way in: the chat they have open, or a request form inside chat hours."""
    if not access.may_request_chat(request.user):
        raise PermissionDenied("Live chat requests are for customers.")
    current = selectors.open_chat_of(user=request.user)
    if current is not None:
        return redirect("chat_detail", pk=current.pk)
    account, hours = selectors.customer_chat_hours(user=request.user, now=timezone.now())
    status = 200
    form = ChatRequestForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                session = chats.chat_request(customer=request.user, **form.cleaned_data)
            except roles.Denied as exc:
                raise _denied(exc) from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 400
            except ConflictError as exc:
                messages.error(request, exc.message)
                status = 409
                account, hours = selectors.customer_chat_hours(user=request.user, now=timezone.now())
            else:
                return redirect("chat_detail", pk=session.pk)
        else:
            status = 400
    plan = account.plan
    return render(
        request,
        "chat/chat_start.html",
        {
            "account": account,
            "plan": plan,
            "hours": hours,
            "engineers_online": selectors.engineers_online(now=timezone.now()) if hours.open_now else 0,
            "form": form,
            "session_limit": target_text(plan.chat_session_limit) if plan.chat_session_limit else None,
            "wait_limit": target_text(chats.wait_limit_seconds()),
        },
        status=status,
    )


# --- one session --------------------------------------------------------------------------


def _chat_page(request, session, *, status=200, form=None):
    user = request.user
    staff = roles.is_staff(user)
    party = access.may_join_chat(user, session)
    lines = list(selectors.chat_messages(user=user, session=session))
    position = selectors.queue_position(session)
    may_post = access.may_post_chat(user, session) and session.is_open
    return render(
        request,
        "chat/chat_detail.html",
        {
            "chat": session,
            "lines": lines,
            "last_id": lines[-1].pk if lines else 0,
            "position": position,
            "live": party and session.kind == ChatKind.CHAT,
            "staff": staff,
            "may_post": may_post,
            "may_accept": access.may_take_chats(user) and session.status == ChatStatus.QUEUED,
            "may_end": access.may_end_chat(user, session) and session.is_open,
            "may_escalate": access.may_escalate_chat(user, session) and not session.ticket_id,
            "form": form or ChatMessageForm(),
            "session_limit": target_text(session.session_limit) if session.session_limit else None,
            "wait_limit": target_text(chats.wait_limit_seconds()),
            "system_kind": ChatMessageKind.SYSTEM,
            "duration": duration_text(session.duration_seconds) if session.duration_seconds else None,
            "events": _labelled(selectors.chat_events(session=session)) if staff else [],
            "warning_seconds": chats.warning_seconds(),
            "end_reasons": dict(ChatEndReason.choices),
        },
        status=status,
    )


def _labelled(events) -> list:
    rows = list(events)
    for event in rows:
        event.label = EVENT_LABELS.get(event.code, event.code.replace("_", " ").capitalize())
        reason = (event.data or {}).get("reason")
        event.detail = ChatEndReason(reason).label if reason in ChatEndReason.values else ""
    return rows


@require_GET
@login_required
def chat_detail(request, pk):
    session = selectors.chat_for(user=request.user, pk=pk)
    return _chat_page(request, session)


def _act(request, session, action, success: str, *, to_ticket: bool = False):
    """Run one service call; redirect on success, answer 403 / 409 on refusal."""
    try:
        result = action()
    except roles.Denied as exc:
        raise _denied(exc) from exc
    except ValidationError as exc:
        for problems in exc.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
        return _chat_page(request, selectors.chat_for(user=request.user, pk=session.pk), status=400)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _chat_page(request, selectors.chat_for(user=request.user, pk=session.pk), status=409)
    if to_ticket:
        ticket, created = result
        messages.success(
            request,
            success.format(ticket=ticket.pk)
            if created
            else (f"This chat was already turned into ticket #{ticket.pk}."),
        )
        return redirect("ticket_detail", pk=ticket.pk)
    messages.success(request, success)
    return redirect("chat_detail", pk=session.pk)


@require_POST
@login_required
def chat_accept_view(request, pk):
    session = selectors.chat_for(user=request.user, pk=pk)
    return _act(
        request,
        session,
        lambda: chats.chat_accept(session=session, engineer=request.user),
        "You took the chat. The customer has been told.",
    )


@require_POST
@login_required
def chat_end_view(request, pk):
    session = selectors.chat_for(user=request.user, pk=pk)
    return _act(
        request,
        session,
        lambda: chats.chat_end(session=session, actor=request.user),
        "The chat has ended.",
    )


@require_POST
@login_required
def chat_escalate_view(request, pk):
    session = selectors.chat_for(user=request.user, pk=pk)
    return _act(
        request,
        session,
        lambda: escalation.chat_escalate(session=session, actor=request.user),
        "Ticket #{ticket} opened with the whole transcript.",
        to_ticket=True,
    )


@require_POST
@login_required
def chat_post_view(request, pk):
    """Without JavaScript, the composer posts here; with it, chat.js posts to the API."""
    session = selectors.chat_for(user=request.user, pk=pk)
    if not access.may_post_chat(request.user, session):
        raise PermissionDenied("You may not write in this chat.")
    form = ChatMessageForm(request.POST)
    if not form.is_valid():
        return _chat_page(request, session, status=400, form=form)
    try:
        chats.chat_post(session=session, author=request.user, body=form.cleaned_data["body"])
    except roles.Denied as exc:
        raise _denied(exc) from exc
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _chat_page(request, session, status=400, form=form)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _chat_page(request, selectors.chat_for(user=request.user, pk=pk), status=409)
    return redirect("chat_detail", pk=session.pk)


# --- engineers' console ---------------------------------------------------------------------


def _console_context(request) -> dict:
    user = request.user
    active = list(selectors.active_chats(user=user))
    return {
        "waiting": list(selectors.waiting_chats(user=user)),
        "active": active,
        "mine": sum(1 for session in active if session.engineer_id == user.pk),
        "limit": chats.engineer_limit(),
        "now": timezone.now(),
    }


@require_GET
@login_required
def chat_console(request):
    if not access.may_take_chats(request.user):
        raise PermissionDenied("The chat console is for support staff.")
    presence.console_seen(user=request.user)
    recent = selectors.chat_list(user=request.user, status=ChatStatus.ENDED)[:CONSOLE_RECENT]
    return render(
        request,
        "chat/chat_console.html",
        {
            **_console_context(request),
            "recent": recent,
        },
    )


@require_GET
@login_required
def chat_console_live(request):
    """The console's waiting list and running sessions, re-fetched by chat.js when they change."""
    if not access.may_take_chats(request.user):
        raise PermissionDenied("The chat console is for support staff.")
    presence.console_seen(user=request.user)
    return render(request, "chat/chat_console_live.html", _console_context(request))


# --- history and phone calls ------------------------------------------------------------------


@require_GET
@login_required
def chat_history(request):
    """Chats and phone calls of an account: a customer's own; staff every account's, or one."""
    user = request.user
    if not (roles.is_customer(user) or roles.is_staff(user)):
        raise PermissionDenied("Your role has no chat history.")
    accounts = accounts_access.accounts_visible_to(user).order_by("name")
    form = HistoryFilterForm(request.GET or None, accounts=accounts)
    account = None
    status = 200
    if roles.is_customer(user):
        account = user.account_id
    elif form.is_bound:
        if form.is_valid():
            account = form.cleaned_data["account"].pk if form.cleaned_data["account"] else None
        else:
            status = 400
    sessions = []
    if status == 200:
        sessions = selectors.chat_history(user=user, account=account)[:HISTORY_ROWS]
    return render(
        request,
        "chat/chat_history.html",
        {
            "sessions": sessions,
            "form": form,
            "staff": roles.is_staff(user),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def phone_call_new(request):
    if not access.may_log_phone_calls(request.user):
        raise PermissionDenied("Only support staff log phone calls.")
    accounts = accounts_access.accounts_visible_to(request.user).order_by("name")
    initial = {"started_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = PhoneCallForm(request.POST or None, accounts=accounts, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = escalation.chat_log_phone(
                    account=data["account"],
                    logged_by=request.user,
                    caller=data["caller"],
                    started_at=data["started_at"],
                    duration=data["duration_minutes"] * 60,
                    notes=data["notes"],
                )
            except roles.Denied as exc:
                raise _denied(exc) from exc
            except ValidationError as exc:
                add_service_errors(form, exc, aliases={"duration": "duration_minutes"})
            else:
                messages.success(request, f"Phone call with {session.caller} logged.")
                return redirect("chat_detail", pk=session.pk)
    return render(request, "chat/chat_phone.html", {"form": form}, status=status)
