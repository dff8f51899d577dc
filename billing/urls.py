"""Billing pages: claims and their review, the customer's month, termination, invoices; the pages
about one account or one engineer, and the list of accounts."""

from django.urls import path

from billing.views import claims, invoices, months, overviews, statements

urlpatterns = [
    path("accounts/", overviews.account_list, name="account_list"),
    path("accounts/<int:pk>/", overviews.account_detail, name="account_detail"),
    path("engineers/<int:pk>/", overviews.engineer_detail, name="engineer_detail"),
    path("billing/claims/", claims.claims, name="billing_claims"),
    path("billing/claims/<int:pk>/", claims.claim_detail, name="billing_claim"),
    path("billing/claims/<int:pk>/approve/", claims.claim_approve_view, name="billing_claim_approve"),
    path("billing/claims/<int:pk>/deny/", claims.claim_deny_view, name="billing_claim_deny"),
    path("billing/misses/<int:miss_pk>/claim/", claims.claim_new, name="billing_claim_new"),
    path(
        "billing/uptime-shortfalls/<int:shortfall_pk>/claim/",
        claims.claim_new_uptime,
        name="billing_claim_new_uptime",
    ),
    path("billing/tickets/<int:ticket_pk>/dispute/", claims.dispute_new, name="billing_dispute_new"),
    path("billing/months/", months.month_current, name="billing_month_current"),
    path("billing/months/<str:month>/", months.month_detail, name="billing_month"),
    path("billing/months/<str:month>/terminate/", months.termination_request_view, name="billing_terminate"),
    path(
        "billing/accounts/<int:account_pk>/months/<str:month>/",
        months.month_detail,
        name="billing_account_month",
    ),
    path(
        "billing/accounts/<int:account_pk>/statements/<str:month>/pdf/",
        statements.statement_pdf_view,
        name="billing_statement_pdf",
    ),
    path(
        "billing/accounts/<int:account_pk>/statements/<str:month>/",
        statements.statement_view,
        name="billing_statement",
    ),
    path("billing/terminations/", months.terminations, name="billing_terminations"),
    path(
        "billing/terminations/<int:pk>/confirm/",
        months.termination_confirm_view,
        name="billing_termination_confirm",
    ),
    path(
        "billing/terminations/<int:pk>/decline/",
        months.termination_decline_view,
        name="billing_termination_decline",
    ),
    path("billing/invoices/", invoices.invoices, name="billing_invoices"),
    path("billing/invoices/<int:pk>/", invoices.invoice_detail, name="billing_invoice"),
    path("billing/invoices/<int:pk>/pdf/", invoices.invoice_pdf_view, name="billing_invoice_pdf"),
    path("billing/invoices/<int:pk>/paid/", invoices.invoice_paid_view, name="billing_invoice_paid"),
    path("billing/close-month/", invoices.close_month_view, name="billing_close_month"),
]
