"""Billing: who sends the invoices (the seller printed on invoices and statements) and payment terms.

The buyer is the account (its name, billing address and tax number, edited by billing admins).
"""

from helpdesk.settings.env import env

__all__ = [
    "BILLING_SELLER_NAME",
    "BILLING_SELLER_ADDRESS",
    "BILLING_SELLER_TAX_ID",
    "BILLING_PAYMENT_TERMS_DAYS",
]

BILLING_SELLER_NAME = env.str("BILLING_SELLER_NAME", default="Pledge")
# One line in the environment; " | " or a literal "\n" separates the lines of the address.
BILLING_SELLER_ADDRESS = (
    env.str("BILLING_SELLER_ADDRESS", default="").replace("\\n", "\n").replace(" | ", "\n").strip()
)
BILLING_SELLER_TAX_ID = env.str("BILLING_SELLER_TAX_ID", default="")
BILLING_PAYMENT_TERMS_DAYS = env.int("BILLING_PAYMENT_TERMS_DAYS", default=14)
