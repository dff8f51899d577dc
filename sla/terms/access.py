"""Who may read and change plans and calendars."""

from helpdesk.kit.roles import is_billing_admin, is_staff


def may_manage_plans(user) -> bool:
    return is_billing_admin(user)


def may_read_calendars(user) -> bool:
    return is_staff(user)


def may_read_plan_versions(user) -> bool:
    """The change list of a plan (who changed what) is for support staff."""
    return is_staff(user)
