"""Billing models arrive with the billing issue (claims, vouchers, invoices)."""
