"""API permissions for exclusion periods and the SLA report."""

from rest_framework.permissions import BasePermission

from sla.clocks import access

# --- permissions -----------------------------------------------------------------------------


class MayManageExclusions(BasePermission):
    message = "Only billing admins manage exclusion periods."

    def has_permission(self, request, view) -> bool:
        return access.may_manage_exclusions(request.user)


class MayReadSlaReport(BasePermission):
    message = "Your role may not read the SLA report."

    def has_permission(self, request, view) -> bool:
        return access.may_read_sla_report(request.user)
