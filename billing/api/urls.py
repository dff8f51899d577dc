"""Routes of billing's part of the v1 API (mounted at /api/v1/ beside helpdesk's and sla's)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from billing.api import views

router = SimpleRouter(use_regex_path=False)
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("vouchers", views.VoucherViewSet, basename="voucher")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("terminations", views.TerminationRequestViewSet, basename="termination")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")

app_name = "billing_api"
urlpatterns = [
    path("billing/close-month/", views.CloseMonthView.as_view(), name="close-month"),
    path("misses/<int:pk>/exclude/", views.MissExcludeView.as_view(), name="miss-exclude"),
    path(
        "accounts/<int:account_id>/statements/<str:month>/pdf/",
        views.StatementPdfView.as_view(),
        name="account-statement-pdf",
    ),
    path(
        "accounts/<int:account_id>/statements/<str:month>/",
        views.StatementView.as_view(),
        name="account-statement",
    ),
    path(
        "accounts/<int:account_id>/months/<str:month>/",
        views.AccountMonthView.as_view(),
        name="account-month",
    ),
    *router.urls,
]
