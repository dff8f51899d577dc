from django.apps import AppConfig, apps
from django.conf import settings
from django.db.models.signals import post_migrate

from helpdesk.kit import planner


def _refresh_statistics(sender, using, **kwargs) -> None:
    planner.refresh_statistics(using)


class HelpdeskConfig(AppConfig):
    """The project itself: it has no models; the demo's management command lives here."""

    name = "helpdesk"
    verbose_name = "Pledge"

    def ready(self) -> None:
        # Where SQLite, uploads and collected static files live: made when Django starts, not
        # when settings are read.
        for folder in (settings.DATA_DIR, settings.MEDIA_ROOT, settings.STATIC_ROOT):
            folder.mkdir(parents=True, exist_ok=True)
        # Once per migrate, when every app's tables are in place (the signal comes once per app with
        # models; this project app has none, so it listens to the tickets app's).
        post_migrate.connect(
            _refresh_statistics,
            sender=apps.get_app_config("tickets"),
            dispatch_uid="helpdesk.planner_statistics",
        )
