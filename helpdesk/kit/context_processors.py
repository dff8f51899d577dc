"""What every page needs to know about the viewer's role (from access.py, nowhere else)."""

from helpdesk.kit import roles


def pledge(request):
    user = request.user
    return {
        "viewer_is_staff": roles.is_staff(user),
        "viewer_is_customer": roles.is_customer(user),
        "viewer_is_billing_admin": roles.is_billing_admin(user),
    }
