from django.apps import AppConfig
from django.conf import settings


class HelpdeskConfig(AppConfig):
    """The project itself: it has no models; the demo's management command lives here."""

    name = "helpdesk"
    verbose_name = "Pledge"

    def ready(self) -> None:
        # Where SQLite, uploads and collected static files live: made when Django starts, not
        # when settings are read.
        for folder in (settings.DATA_DIR, settings.MEDIA_ROOT, settings.STATIC_ROOT):
            folder.mkdir(parents=True, exist_ok=True)
