"""Celery application: a Redis broker with REDIS_URL, a filesystem broker otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("journeyboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
