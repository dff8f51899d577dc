from django.apps import AppConfig


class UptimeConfig(AppConfig):
    name = "sla.uptime"
    label = "uptime"
    verbose_name = "Uptime"

    def ready(self) -> None:
        # sla.terms stores a plan's uptime terms; what makes them valid is known here.
        from sla.terms import checks
        from sla.uptime.terms import clean_uptime_terms

        checks.provide_check("uptime_terms", clean_uptime_terms)
