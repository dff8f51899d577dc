"""Where a signed-in user lands."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from helpdesk.accounts import access


@require_GET
@login_required
def home(request):
    return redirect(access.home_for(request.user))
