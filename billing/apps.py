from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # sla never imports billing: billing tells it whom to call and what to ask.
        from billing import automatic, money, selectors
        from billing.pricing import UptimePricing
        from billing.services import months
        from sla.clocks import hooks
        from sla.terms import checks, pins
        from sla.uptime import providers

        hooks.listen(months.counted_failures_changed)
        hooks.answer_month_invoiced(selectors.month_invoiced)
        providers.provide_pricing(UptimePricing())
        checks.provide_check("response_penalty", money.clean_response_penalty)
        pins.answer_month_terms(automatic.month_plan_terms)
