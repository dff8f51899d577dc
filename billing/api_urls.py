"""Routes of billing's part of the v1 API (mounted at /api/v1/ beside helpdesk's and sla's)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from billing import api

router = SimpleRouter(use_regex_path=False)
router.register("claims", api.ClaimViewSet, basename="claim")
router.register("vouchers", api.VoucherViewSet, basename="voucher")
router.register("invoices", api.InvoiceViewSet, basename="invoice")
router.register("terminations", api.TerminationRequestViewSet, basename="termination")
router.register("subscriptions", api.SubscriptionViewSet, basename="subscription")

app_name = "billing_api"
urlpatterns = [
    path("billing/close-month/", api.CloseMonthView.as_view(), name="close-month"),
    path(
        "accounts/<int:account_id>/months/<str:month>/", api.AccountMonthView.as_view(), name="account-month"
    ),
    *router.urls,
]
