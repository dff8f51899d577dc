"""The Celery application: broker and schedule come from Django settings."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("pledge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
