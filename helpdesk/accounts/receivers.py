"""A changed password revokes every API token of its user, however it was changed.

The password changes in several of Django's own places (the change and reset views, the admin,
`manage.py changepassword`), none of which calls a service of ours; the save of a new hash is the
one point they share, so the revocation hangs there.
"""

from knox.models import AuthToken

from helpdesk.accounts.models import User


def revoke_tokens_on_password_change(sender, instance: User, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        AuthToken.objects.filter(user_id=instance.pk).delete()
