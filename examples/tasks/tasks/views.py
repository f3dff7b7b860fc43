"""Health, readiness and metrics (the probe paths cfgen's defaults name), and the tasks."""
import json

from django.db import connection
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from .models import Task

REQUESTS = Counter("http_requests_total", "Requests served", ["path"])


def health(request):
    """Alive: answers without touching any dependency."""
    return JsonResponse({"status": "ok"})


def ready(request):
    """Ready while the database answers (the cache is the worker's broker, not needed here)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return JsonResponse({"status": "unavailable", "database": str(error)}, status=503)
    return JsonResponse({"status": "ready"})


def metrics(request):
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def tasks(request):
    REQUESTS.labels(path="/tasks").inc()
    if request.method == "POST":
        body = json.loads(request.body or b"{}")
        task = Task.objects.create(title=str(body.get("title", ""))[:200])
        return JsonResponse({"id": task.id, "title": task.title}, status=201)
    return JsonResponse({"tasks": list(Task.objects.values("id", "title", "done"))})
