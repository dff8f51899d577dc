"""DRF permission classes: thin adapters over helpdesk.access, the one definition of "may"."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from helpdesk import access


class _ReadWrite(BasePermission):
    """Reads for `may_read`, writes for `may_write`, everything for signed-in users only.

    A write on one object is decided only after the object was found in the caller's
    queryset, so an object outside the caller's account is a 404 before it can be a 403.
    """

    message = "Your role may not do this."

    def may_read(self, user) -> bool:
        return True

    def may_write(self, user) -> bool:
        return False

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated) or not self.may_read(user):
            return False
        if request.method in SAFE_METHODS:
            return True
        lookup = view.lookup_url_kwarg or view.lookup_field
        if lookup in view.kwargs:
            return True
        return self.may_write(user)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or self.may_write(request.user)


class CalendarAccess(_ReadWrite):
    """Support staff read calendars; billing admins edit them."""

    def may_read(self, user) -> bool:
        return access.may_read_calendars(user)

    def may_write(self, user) -> bool:
        return access.may_manage_plans(user)


class PlanAccess(_ReadWrite):
    """Everyone signed in reads plans; billing admins edit them."""

    def may_write(self, user) -> bool:
        return access.may_manage_plans(user)


class AccountAccess(_ReadWrite):
    """Reads are scoped by access.accounts_visible_to; billing admins edit."""

    def may_write(self, user) -> bool:
        return access.may_manage_accounts(user)


class UserAccess(_ReadWrite):
    """Only billing admins see or create users."""

    def may_read(self, user) -> bool:
        return access.may_manage_users(user)

    def may_write(self, user) -> bool:
        return access.may_manage_users(user)


class MayWorkTickets(BasePermission):
    """Start work, downgrade, upgrade: support staff, checked once the ticket was found."""

    message = "Only support staff can do this."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_work_tickets(request.user)
