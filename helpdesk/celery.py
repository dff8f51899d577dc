"""The Celery application: broker and schedule come from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("pledge")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's periodic work lives in `tasks`, its mail in `notifications` (services send those after
# commit, so they sit below the services; `tasks` call services, so they sit above them).
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="notifications")
