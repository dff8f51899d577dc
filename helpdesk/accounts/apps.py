from django.apps import AppConfig
from django.db.models.signals import pre_save


class AccountsConfig(AppConfig):
    name = "helpdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from helpdesk.accounts import receivers
        from helpdesk.accounts.models import User

        pre_save.connect(
            receivers.revoke_tokens_on_password_change, sender=User, dispatch_uid="accounts-tokens"
        )
