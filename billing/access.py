"""Who may see and decide claims, vouchers, invoices, terminations and subscriptions."""

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import is_billing_admin, is_customer, is_staff

# --- billing ---------------------------------------------------------------------------
# Claims, vouchers, invoices and termination follow the account like tickets do. Models are
# looked up by name so that helpdesk never imports billing (dependencies point one way).


def _billing_model(name: str):
    from django.apps import apps

    return apps.get_model("billing", name)


def _own_account_or_all(user: User, model_name: str, *, staff: bool):
    model = _billing_model(model_name)
    if is_staff(user) if staff else is_billing_admin(user):
        return model.objects.all()
    if is_customer(user):
        return model.objects.filter(account_id=user.account_id)
    return model.objects.none()


def claims_visible_to(user: User):
    """Customers their own account's claims; support staff every claim."""
    return _own_account_or_all(user, "Claim", staff=True)


def vouchers_visible_to(user: User):
    """Customers their own account's vouchers; billing admins every voucher; engineers none."""
    return _own_account_or_all(user, "Voucher", staff=False)


def invoices_visible_to(user: User):
    """Customers their own account's invoices; billing admins every invoice; engineers none."""
    return _own_account_or_all(user, "Invoice", staff=False)


def termination_requests_visible_to(user: User):
    return _own_account_or_all(user, "TerminationRequest", staff=False)


def may_open_claims(user: User) -> bool:
    """Compensation is applied for by the customer, through the portal."""
    return is_customer(user)


def may_decide_claims(user: User) -> bool:
    return is_billing_admin(user)


def may_read_claims(user: User) -> bool:
    return is_staff(user) or is_customer(user)


def may_read_money(user: User) -> bool:
    """Vouchers and invoices: the customer's own, or a billing admin's every one."""
    return is_billing_admin(user) or is_customer(user)


def may_read_account_months(user: User) -> bool:
    return is_staff(user) or is_customer(user)


def may_close_months(user: User) -> bool:
    return is_billing_admin(user)


def may_mark_invoices_paid(user: User) -> bool:
    return is_billing_admin(user)


def may_request_termination(user: User, account: Account) -> bool:
    return is_customer(user) and account.pk == user.account_id


def may_decide_terminations(user: User) -> bool:
    return is_billing_admin(user)


def may_manage_subscriptions(user: User) -> bool:
    return is_billing_admin(user)


def may_read_terminations(user: User) -> bool:
    """Billing admins (all requests) and customers (their account's); engineers have no part in them."""
    return is_billing_admin(user) or is_customer(user)


def may_read_subscriptions(user: User) -> bool:
    """Billing admins (every account's terms) and customers (their account's own fee and plan)."""
    return is_billing_admin(user) or is_customer(user)
