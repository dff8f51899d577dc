from django.apps import AppConfig


class UptimeConfig(AppConfig):
    name = "sla.uptime"
    label = "uptime"
    verbose_name = "Uptime"
