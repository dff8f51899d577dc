"""Billing pages: claims and their review, the customer's month, termination, invoices; the pages
about one account or one engineer, and the list of accounts."""

from django.urls import path

from billing.views import billing as views
from billing.views import overviews, statements

urlpatterns = [
    path("accounts/", overviews.account_list, name="account_list"),
    path("accounts/<int:pk>/", overviews.account_detail, name="account_detail"),
    path("engineers/<int:pk>/", overviews.engineer_detail, name="engineer_detail"),
    path("billing/claims/", views.claims, name="billing_claims"),
    path("billing/claims/<int:pk>/", views.claim_detail, name="billing_claim"),
    path("billing/claims/<int:pk>/approve/", views.claim_approve_view, name="billing_claim_approve"),
    path("billing/claims/<int:pk>/deny/", views.claim_deny_view, name="billing_claim_deny"),
    path("billing/misses/<int:miss_pk>/claim/", views.claim_new, name="billing_claim_new"),
    path(
        "billing/uptime-shortfalls/<int:shortfall_pk>/claim/",
        views.claim_new_uptime,
        name="billing_claim_new_uptime",
    ),
    path("billing/months/", views.month_current, name="billing_month_current"),
    path("billing/months/<str:month>/", views.month_detail, name="billing_month"),
    path("billing/months/<str:month>/terminate/", views.termination_request_view, name="billing_terminate"),
    path(
        "billing/accounts/<int:account_pk>/months/<str:month>/",
        views.month_detail,
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
    path("billing/terminations/", views.terminations, name="billing_terminations"),
    path(
        "billing/terminations/<int:pk>/confirm/",
        views.termination_confirm_view,
        name="billing_termination_confirm",
    ),
    path(
        "billing/terminations/<int:pk>/decline/",
        views.termination_decline_view,
        name="billing_termination_decline",
    ),
    path("billing/invoices/", views.invoices, name="billing_invoices"),
    path("billing/invoices/<int:pk>/", views.invoice_detail, name="billing_invoice"),
    path("billing/invoices/<int:pk>/pdf/", views.invoice_pdf_view, name="billing_invoice_pdf"),
    path("billing/invoices/<int:pk>/paid/", views.invoice_paid_view, name="billing_invoice_paid"),
    path("billing/close-month/", views.close_month_view, name="billing_close_month"),
]
