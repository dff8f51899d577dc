"""API permissions for accounts and users."""

from helpdesk.accounts import access
from helpdesk.kit.api import _ReadWrite


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
