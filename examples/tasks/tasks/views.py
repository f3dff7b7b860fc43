"""Health, readiness and metrics (the probe paths cfgen's defaults name), and the tasks."""
import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as CheckTimeout

from django.db import connections
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from .models import Task

REQUESTS = Counter("http_requests_total", "Requests served", ["path"])

# A readiness answer within the probe's timeout, whatever the database does: connecting can
# block far longer than libpq's connect_timeout (resolving the name of a stopped compose
# service waits for the DNS forwarder, 20 s here), so the check runs on a thread of its own.
READY_TIMEOUT_SECONDS = 3.0
_CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ready")


def _database_answers():
    """SELECT 1 on a new connection of the check's thread, closed again (a kept one would go
    stale when the database restarts: no request cycle replaces it on this thread)."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def health(request):
    """Alive: answers without touching any dependency."""
    return JsonResponse({"status": "ok"})


def ready(request):
    """Ready while the database answers (the cache is the worker's broker, not needed here)."""
    try:
        _CHECKS.submit(_database_answers).result(timeout=READY_TIMEOUT_SECONDS)
    except CheckTimeout:
        reason = f"no answer within {READY_TIMEOUT_SECONDS:g} s"
        return JsonResponse({"status": "unavailable", "database": reason}, status=503)
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
