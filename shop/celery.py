import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

# Every task derives from shop.core.queueing.Task: acks late, requeued when its worker dies, never
# published inside a transaction or with an ETA beyond the visibility timeout.
app = Celery("shop", task_cls="shop.core.queueing:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
