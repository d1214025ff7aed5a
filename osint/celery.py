"""The Celery application, configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint.settings")

app = Celery("osint")
app.config_from_object("django.conf:settings", namespace="CELERY")
if not app.conf.broker_url:
    # Embedded mode runs tasks eagerly, but Celery still builds a producer;
    # the in-memory transport keeps it from reaching for an AMQP server.
    app.conf.update(broker_url="memory://")
app.autodiscover_tasks()
