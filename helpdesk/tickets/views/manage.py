"""Staff pages that keep the tag list and the canned replies: list, create, change, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.kit.errors import ValidationError
from helpdesk.tickets import access, selectors
from helpdesk.tickets.forms import CannedReplyForm, TagForm
from helpdesk.tickets.services.workspace import canned_reply_delete, canned_reply_save, tag_delete, tag_save


def _staff_only(request) -> None:
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Tags and canned replies are kept by support staff.")


def _save(request, form, save, *, template: str, done: str, redirect_to: str, context: dict):
    """Validate the form, call the service, and show its errors beside the fields (400)."""
    if form.is_valid():
        try:
            save(**form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, done)
            return redirect(redirect_to)
    return render(request, template, {**context, "form": form}, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def tag_list(request):
    _staff_only(request)
    context = {"tags": selectors.tags_with_counts()}
    if request.method == "POST":
        form = TagForm(request.POST)
        return _save(
            request,
            form,
            lambda **data: tag_save(actor=request.user, **data),
            template="tickets/manage_tags.html",
            done=f"Tag “{request.POST.get('name', '').strip().lower()[:50]}” added.",
            redirect_to="tag_list",
            context=context,
        )
    return render(request, "tickets/manage_tags.html", {**context, "form": TagForm()})


@require_http_methods(["GET", "POST"])
@login_required
def tag_edit(request, pk):
    _staff_only(request)
    tag = get_object_or_404(selectors.tag_choices(user=request.user), pk=pk)
    context = {"tag": tag}
    if request.method == "POST":
        return _save(
            request,
            TagForm(request.POST),
            lambda **data: tag_save(actor=request.user, tag=tag, **data),
            template="tickets/manage_tag_edit.html",
            done="Tag saved.",
            redirect_to="tag_list",
            context=context,
        )
    form = TagForm(initial={"name": tag.name, "internal": tag.internal})
    return render(request, "tickets/manage_tag_edit.html", {**context, "form": form})


@require_POST
@login_required
def tag_delete_view(request, pk):
    _staff_only(request)
    tag = get_object_or_404(selectors.tag_choices(user=request.user), pk=pk)
    tagged = tag_delete(actor=request.user, tag=tag)
    messages.success(
        request, f"Tag “{tag.name}” deleted (it was on {tagged} ticket{'s' if tagged != 1 else ''})."
    )
    return redirect("tag_list")


@require_http_methods(["GET"])
@login_required
def canned_reply_list(request):
    _staff_only(request)
    replies = selectors.canned_replies(user=request.user).select_related("created_by").order_by("title")
    return render(request, "tickets/manage_canned.html", {"replies": replies})


@require_http_methods(["GET", "POST"])
@login_required
def canned_reply_new(request):
    _staff_only(request)
    if request.method == "POST":
        return _save(
            request,
            CannedReplyForm(request.POST),
            lambda **data: canned_reply_save(actor=request.user, **data),
            template="tickets/manage_canned_form.html",
            done="Canned reply added.",
            redirect_to="canned_reply_list",
            context={"reply": None},
        )
    return render(request, "tickets/manage_canned_form.html", {"form": CannedReplyForm(), "reply": None})


@require_http_methods(["GET", "POST"])
@login_required
def canned_reply_edit(request, pk):
    _staff_only(request)
    reply = get_object_or_404(selectors.canned_replies(user=request.user), pk=pk)
    if request.method == "POST":
        return _save(
            request,
            CannedReplyForm(request.POST),
            lambda **data: canned_reply_save(actor=request.user, reply=reply, **data),
            template="tickets/manage_canned_form.html",
            done="Canned reply saved.",
            redirect_to="canned_reply_list",
            context={"reply": reply},
        )
    form = CannedReplyForm(initial={"title": reply.title, "body": reply.body})
    return render(request, "tickets/manage_canned_form.html", {"form": form, "reply": reply})


@require_POST
@login_required
def canned_reply_delete_view(request, pk):
    _staff_only(request)
    reply = get_object_or_404(selectors.canned_replies(user=request.user), pk=pk)
    canned_reply_delete(actor=request.user, reply=reply)
    messages.success(request, f"Canned reply “{reply.title}” deleted.")
    return redirect("canned_reply_list")
