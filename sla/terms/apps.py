from django.apps import AppConfig


class TermsConfig(AppConfig):
    name = "sla.terms"
    label = "terms"
    verbose_name = "Contract terms"
