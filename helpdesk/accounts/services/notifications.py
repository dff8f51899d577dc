"""Which categories of mail a person has turned off, and whether the queue page alerts them."""

from django.db import transaction

from helpdesk.accounts.models import MutedNotification, NotificationCategory, User
from helpdesk.kit import roles
from helpdesk.kit.errors import ValidationError


@transaction.atomic
def notification_preferences_set(*, user: User, muted) -> set[str]:
    """Replace the person's muted categories with `muted`; unknown categories are a 400."""
    muted = set(muted or ())
    unknown = sorted(muted - set(NotificationCategory.values))
    if unknown:
        raise ValidationError({"muted": [f"Unknown categories: {', '.join(map(str, unknown))[:200]}."]})
    User.objects.select_for_update().get(pk=user.pk)
    MutedNotification.objects.filter(user=user).exclude(category__in=muted).delete()
    have = set(MutedNotification.objects.filter(user=user).values_list("category", flat=True))
    MutedNotification.objects.bulk_create(
        [MutedNotification(user=user, category=category) for category in sorted(muted - have)]
    )
    return muted


@transaction.atomic
def queue_alerts_set(*, user: User, alerts: bool) -> bool:
    """Turn the queue page's sound and browser notifications on or off (support staff only)."""
    roles.require(roles.is_staff(user), "Only support staff have a queue.")
    if not isinstance(alerts, bool):
        raise ValidationError({"alerts": ["Must be on or off."]})
    User.objects.filter(pk=user.pk).update(queue_alerts=alerts)
    user.queue_alerts = alerts
    return alerts
