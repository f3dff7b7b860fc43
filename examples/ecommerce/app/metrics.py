"""Prometheus metrics: the names monitoring.yaml and the generated alert_rules.yml use.

uvicorn runs several worker processes (WORKERS), and a scrape reaches one of them, so the
metrics are kept in prometheus_client's multiprocess mode (files under
PROMETHEUS_MULTIPROC_DIR, default /tmp/ecommerce-metrics: the writable tmpfs of the
read-only container) and every scrape reports the sum over the workers. Import this module
before anything else imports prometheus_client.
"""

from __future__ import annotations

import os
import time

MULTIPROC_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/ecommerce-metrics")
os.makedirs(MULTIPROC_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402  (after the environment above)
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily  # noqa: E402

http_requests = Counter(
    "http_requests_total", "HTTP requests", ["route", "method", "status"]
)
http_duration = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["route", "method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
http_errors = Counter(
    "http_request_errors_total", "HTTP responses with a 5xx status", ["route", "method", "status"]
)
user_registrations = Counter("user_registrations_total", "successful registrations")
orders = Counter("orders_total", "order creation attempts", ["outcome"])
payments = Counter("payments_total", "payment attempts that reached the provider", ["outcome"])
# per worker process; the scrape reports the sum over the live workers
active_users = Gauge(
    "active_users",
    "distinct users active in the last 5 minutes, per worker process (summed)",
    multiprocess_mode="livesum",
)
# the last readiness check wins, whichever worker ran it
dependency_up = Gauge(
    "app_dependency_up",
    "1 when the dependency's readiness check passed, 0 when it failed",
    ["dependency"],
    multiprocess_mode="mostrecent",
)

# both outcome series exist from start-up, so the success ratios are defined at once
for outcome in ("success", "failed"):
    orders.labels(outcome)
    payments.labels(outcome)

_ACTIVE_WINDOW = 300.0
_active: dict[int, float] = {}


def user_active(user_id: int) -> None:
    now = time.monotonic()
    _active[user_id] = now
    if len(_active) > 100_000:
        for uid, seen in list(_active.items()):
            if now - seen > _ACTIVE_WINDOW:
                del _active[uid]


def refresh_active_users() -> None:
    now = time.monotonic()
    for uid, seen in list(_active.items()):
        if now - seen > _ACTIVE_WINDOW:
            del _active[uid]
    active_users.set(len(_active))


class ContainerProcesses:
    """process_* metrics for the whole process group (uvicorn's supervisor and its workers),
    which multiprocess mode cannot give: CPU seconds and resident memory summed, so the
    alerts compare them with the container's limits."""

    def __init__(self) -> None:
        self._tick = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")
        with open("/proc/stat") as f:
            self._boot = next(float(l.split()[1]) for l in f if l.startswith("btime"))

    def _group(self):
        pgid = os.getpgid(0)
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            # fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, start 22, rss 24
            if int(fields[2]) != pgid:
                continue
            yield int(name), fields

    def collect(self):
        cpu = rss = 0.0
        fds = 0
        start = None
        for pid, f in self._group():
            cpu += (int(f[11]) + int(f[12])) / self._tick
            rss += int(f[21]) * self._page
            started = self._boot + int(f[19]) / self._tick
            start = started if start is None else min(start, started)
            try:
                fds += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                pass
        c = CounterMetricFamily("process_cpu_seconds", "CPU seconds of the app's processes")
        c.add_metric([], cpu)
        yield c
        g = GaugeMetricFamily("process_resident_memory_bytes", "resident memory of the app's processes")
        g.add_metric([], rss)
        yield g
        g = GaugeMetricFamily("process_open_fds", "open file descriptors of the app's processes")
        g.add_metric([], fds)
        yield g
        if start is not None:
            g = GaugeMetricFamily("process_start_time_seconds", "start of the oldest app process")
            g.add_metric([], start)
            yield g


_processes = ContainerProcesses()


def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_processes)
    return generate_latest(registry), CONTENT_TYPE_LATEST
