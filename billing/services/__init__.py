"""Billing writes: claims and vouchers, invoices, termination, subscription terms."""
