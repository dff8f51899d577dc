"""Admin pieces every app shares."""


class EvidenceAdminMixin:
    """Records that are evidence (tickets, their messages and events, misses, downtime, money) are
    never deleted from the admin: no "Delete selected", no delete page, not even for a superuser."""

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
