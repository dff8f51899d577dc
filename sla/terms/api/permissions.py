"""API permissions for calendars and plans."""

from rest_framework.permissions import BasePermission

from helpdesk.kit.api import _ReadWrite
from sla.terms import access


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


class MayReadPlanVersions(BasePermission):
    """A plan's versions (who changed what, when): support staff only."""

    message = "Only support staff see a plan's change list."

    def has_permission(self, request, view) -> bool:
        return access.may_read_plan_versions(request.user)
