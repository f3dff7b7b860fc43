"""The Celery app of the worker process."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tasks.settings")
app = Celery("tasks")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task
def count_tasks():
    """Counts the tasks (a stand-in for real work)."""
    from .models import Task

    return Task.objects.count()
