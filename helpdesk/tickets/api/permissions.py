"""API permissions for working tickets."""

from rest_framework.permissions import BasePermission

from helpdesk.tickets import access


class MayWorkTickets(BasePermission):
    """Start work, downgrade, upgrade: support staff, checked once the ticket was found."""

    message = "Only support staff can do this."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_work_tickets(request.user)
