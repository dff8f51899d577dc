"""What every page needs to know about the viewer's role (from access.py, nowhere else)."""
from helpdesk import access


def pledge(request):
    user = request.user
    return {
        "viewer_is_staff": access.is_staff(user),
        "viewer_is_customer": access.is_customer(user),
        "viewer_is_billing_admin": access.is_billing_admin(user),
    }
