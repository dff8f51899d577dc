"""Money: claims, vouchers, invoices and termination eligibility."""
