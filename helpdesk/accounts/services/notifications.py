"""Which categories of mail a person has turned off."""

from django.db import transaction

from helpdesk.accounts.models import MutedNotification, NotificationCategory, User
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
