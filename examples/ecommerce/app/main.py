"""The ecommerce example API (FastAPI on uvicorn): users, products, orders, payments, and
the probes and metrics the generated deployment uses. Contract: ../README.md."""

from __future__ import annotations

from . import metrics  # first: sets up prometheus_client's multiprocess mode

import asyncio
import json
import logging
import random
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from . import config, db, logs

settings = config.load_or_exit()
logs.setup(settings)
log = logging.getLogger("app")

engine = db.engine(settings)
_redis_pool = redis.BlockingConnectionPool.from_url(
    settings.redis_url,
    max_connections=settings.redis_pool_size,
    timeout=settings.redis_timeout,
    socket_timeout=settings.redis_timeout,
    socket_connect_timeout=settings.redis_timeout,
    retry=Retry(NoBackoff(), 0),
)
cache = redis.Redis(connection_pool=_redis_pool)
# Redis is optional (a cache): every call is bounded by REDIS_TIMEOUT_SECONDS as a whole,
# name resolution included (redis-py's socket timeouts do not cover a slow DNS), and after a
# failure the cache is skipped for CACHE_BACKOFF seconds (the readiness check, which always
# asks Redis, ends that early when Redis answers again).
_cache_threads = ThreadPoolExecutor(max_workers=settings.redis_pool_size, thread_name_prefix="redis")
CACHE_BACKOFF = 5.0
_cache_down_until = 0.0


class CacheDown(Exception):
    """Redis failed, was too slow, or failed within the last CACHE_BACKOFF seconds."""


def cache_call(fn, *args, **kwargs):
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        raise CacheDown("skipped: Redis failed recently")
    future = _cache_threads.submit(fn, *args, **kwargs)
    try:
        return future.result(timeout=settings.redis_timeout)
    except (FutureTimeout, redis.RedisError, OSError) as e:
        _cache_down_until = time.monotonic() + CACHE_BACKOFF
        raise CacheDown(type(e).__name__) from e

READY_TIMEOUT = 2.0  # seconds, per dependency check (as the bundled service)
PRODUCTS_KEY = "ecommerce:products:v1"
draining = False


class Unavailable(Exception):
    """A dependency failed or was too slow: 503."""


@asynccontextmanager
async def lifespan(_app: FastAPI):
    global draining
    if settings.run_mode == "development":
        # development only: production runs `alembic upgrade head` as its own step
        from alembic import command
        from alembic.config import Config

        await asyncio.to_thread(command.upgrade, Config("alembic.ini"), "head")
    log.info("serving on port %s (%s)", settings.port, settings.run_mode)
    yield
    draining = True
    log.info("shutting down: closing the database and Redis pools")
    engine.dispose()
    _cache_threads.shutdown(wait=False, cancel_futures=True)
    _redis_pool.disconnect()


app = FastAPI(title="ecommerce", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


# --- errors: {"error": code, "message": text} -------------------------------------------------
CODES = {
    400: "bad_request",
    402: "payment_declined",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    503: "unavailable",
}


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": CODES.get(status, "internal"), "message": message}, status, headers=headers
    )


@app.exception_handler(StarletteHTTPException)
async def http_error(_req: Request, exc: StarletteHTTPException):
    return error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))


@app.exception_handler(RequestValidationError)
async def invalid(req: Request, exc: RequestValidationError):
    if req.url.path == "/orders" and req.method == "POST":
        metrics.orders.labels("failed").inc()
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        return error(400, "the body is not valid JSON")
    first = errs[0] if errs else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return error(422, f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request")


@app.exception_handler(Unavailable)
@app.exception_handler(PoolTimeout)
@app.exception_handler(DBAPIError)
async def unavailable(req: Request, exc: Exception):
    log.error("dependency failure on %s %s: %s", req.method, req.url.path, type(exc).__name__)
    return error(503, "a dependency is unavailable, try again later")


@app.exception_handler(Exception)
async def internal(req: Request, exc: Exception):
    log.exception("unhandled error on %s %s", req.method, req.url.path)
    return JSONResponse({"error": "internal", "message": "internal error"}, 500)


# --- the edge: request id, body limit, concurrency limit, metrics, one log line -------------
PROBES = {"/health", "/ready", "/metrics"}
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(Exception):
    pass


def route_of(scope) -> str:
    partial = None
    for r in app.router.routes:
        match, _ = r.matches(scope)
        if match == Match.FULL:
            return r.path
        if match == Match.PARTIAL and partial is None:
            partial = r.path
    return partial or "unmatched"


class Edge:
    def __init__(self, inner):
        self.inner = inner
        self.limit = asyncio.Semaphore(settings.worker_connections)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        t0 = time.perf_counter()
        headers = dict(scope["headers"])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")
        if not REQUEST_ID.match(rid):
            rid = uuid.uuid4().hex
        token = logs.request_id.set(rid)
        route = route_of(scope)
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        state = {"status": 500, "started": False, "received": 0}

        async def send_(msg):
            if msg["type"] == "http.response.start":
                state["status"] = msg["status"]
                state["started"] = True
                msg["headers"] = list(msg.get("headers", [])) + [(b"x-request-id", rid.encode())]
            await send(msg)

        async def receive_():
            msg = await receive()
            if msg["type"] == "http.request":
                state["received"] += len(msg.get("body", b""))
                if state["received"] > settings.request_body_limit:
                    raise BodyTooLarge
            return msg

        async def too_large():
            resp = error(413, f"request bodies are limited to {settings.request_body_limit} bytes")
            await resp(scope, receive, send_)

        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > settings.request_body_limit:
                await too_large()
            elif route in PROBES:
                await self.inner(scope, receive_, send_)
            else:
                async with self.limit:
                    await self.inner(scope, receive_, send_)
        except BodyTooLarge:
            if not state["started"]:
                await too_large()
        finally:
            status = state["status"]
            elapsed = time.perf_counter() - t0
            metrics.http_requests.labels(route, method, str(status)).inc()
            metrics.http_duration.labels(route, method).observe(elapsed)
            if status >= 500:
                metrics.http_errors.labels(route, method, str(status)).inc()
            if route in PROBES:
                level = logging.WARNING if status >= 500 else logging.DEBUG
            else:
                level = logging.ERROR if status >= 500 else logging.INFO
            log.log(
                level,
                "request finished",
                extra={"status": status, "latency_ms": round(elapsed * 1000, 3), "method": method, "route": route},
            )
            logs.request_id.reset(token)


app.add_middleware(Edge)


# --- probes --------------------------------------------------------------------------------
def _db_check() -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def _bounded(fn) -> bool:
    try:
        await asyncio.wait_for(asyncio.to_thread(fn), READY_TIMEOUT)
        return True
    except Exception:
        return False


async def readiness() -> dict[str, bool]:
    global _cache_down_until
    db_ok, redis_ok = await asyncio.gather(_bounded(_db_check), _bounded(cache.ping))
    _cache_down_until = 0.0 if redis_ok else time.monotonic() + CACHE_BACKOFF
    metrics.dependency_up.labels("database").set(1 if db_ok else 0)
    metrics.dependency_up.labels("redis").set(1 if redis_ok else 0)
    return {"database": db_ok, "redis": redis_ok}


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/ready")
async def ready():
    checks = await readiness()
    named = {k: ("ok" if v else "failed") for k, v in checks.items()}
    if draining:
        return JSONResponse({"status": "draining", "checks": named}, 503)
    if not checks["database"]:
        return JSONResponse({"status": "unavailable", "checks": named}, 503)
    # the cache is an optimisation: without Redis the app serves from the database
    status = "ready" if checks["redis"] else "degraded"
    return {"status": status, "checks": named}


@app.get("/metrics")
async def prometheus_metrics():
    await readiness()
    metrics.refresh_active_users()
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


# --- API -----------------------------------------------------------------------------------
class NewUser(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=100)


class Line(BaseModel):
    product_id: int = Field(gt=0)
    quantity: int = Field(ge=1, le=100)


class NewOrder(BaseModel):
    user_id: int = Field(gt=0)
    items: list[Line] = Field(min_length=1, max_length=50)


@app.post("/users", status_code=201)
def create_user(body: NewUser):
    email = body.email.lower()
    try:
        with engine.begin() as conn:
            uid = conn.execute(db.users.insert().values(email=email, name=body.name)).inserted_primary_key[0]
    except IntegrityError:
        raise HTTPException(409, "a user with this email exists") from None
    metrics.user_registrations.inc()
    metrics.user_active(uid)
    return {"id": uid, "email": email, "name": body.name}


def _products_from_db() -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(db.products).order_by(db.products.c.id)).mappings().all()
    return [dict(r) for r in rows]


@app.get("/products")
def list_products():
    if settings.cache_ttl == 0:
        return JSONResponse({"products": _products_from_db()}, headers={"X-Cache": "bypass"})
    try:
        hit = cache_call(cache.get, PRODUCTS_KEY)
    except CacheDown as e:
        log.warning("redis unavailable (%s): product listing served from the database", e)
        return JSONResponse({"products": _products_from_db()}, headers={"X-Cache": "bypass"})
    if hit is not None:
        return JSONResponse({"products": json.loads(hit)}, headers={"X-Cache": "hit"})
    products = _products_from_db()
    try:
        cache_call(cache.set, PRODUCTS_KEY, json.dumps(products), ex=settings.cache_ttl)
    except CacheDown as e:
        log.warning("redis unavailable (%s): product listing not cached", e)
    return JSONResponse({"products": products}, headers={"X-Cache": "miss"})


def _order(conn, order_id: int) -> dict | None:
    row = conn.execute(select(db.orders).where(db.orders.c.id == order_id)).mappings().first()
    if row is None:
        return None
    items = conn.execute(
        select(db.order_items.c.product_id, db.order_items.c.quantity, db.order_items.c.price_cents)
        .where(db.order_items.c.order_id == order_id)
        .order_by(db.order_items.c.product_id)
    ).mappings().all()
    out = dict(row)
    out["created_at"] = out["created_at"].isoformat() + "Z"
    out["items"] = [dict(i) for i in items]
    return out


@app.post("/orders", status_code=201)
def create_order(body: NewOrder):
    ok = False
    try:
        ids = [line.product_id for line in body.items]
        if len(set(ids)) != len(ids):
            raise HTTPException(422, "items: each product at most once")
        with engine.begin() as conn:
            if conn.execute(select(db.users.c.id).where(db.users.c.id == body.user_id)).first() is None:
                raise HTTPException(422, "user_id: no such user")
            # lock the products in id order: concurrent orders cannot deadlock
            rows = {
                r.id: r
                for r in conn.execute(
                    select(db.products).where(db.products.c.id.in_(ids)).order_by(db.products.c.id).with_for_update()
                )
            }
            missing = [i for i in ids if i not in rows]
            if missing:
                raise HTTPException(422, f"items: no such product {missing[0]}")
            short = [line.product_id for line in body.items if rows[line.product_id].stock < line.quantity]
            if short:
                raise HTTPException(409, f"insufficient stock for product {short[0]}")
            total = sum(rows[line.product_id].price_cents * line.quantity for line in body.items)
            oid = conn.execute(
                db.orders.insert().values(user_id=body.user_id, status="pending", total_cents=total)
            ).inserted_primary_key[0]
            for line in body.items:
                conn.execute(
                    db.order_items.insert().values(
                        order_id=oid, product_id=line.product_id, quantity=line.quantity,
                        price_cents=rows[line.product_id].price_cents,
                    )
                )
                conn.execute(
                    db.products.update()
                    .where(db.products.c.id == line.product_id)
                    .values(stock=db.products.c.stock - line.quantity)
                )
            order = _order(conn, oid)
        ok = True
    finally:
        metrics.orders.labels("success" if ok else "failed").inc()
    metrics.user_active(body.user_id)
    return order


@app.get("/orders/{order_id}")
def get_order(order_id: int):
    with engine.connect() as conn:
        order = _order(conn, order_id)
    if order is None:
        raise HTTPException(404, "no such order")
    return order


@app.post("/orders/{order_id}/pay")
def pay(order_id: int):
    with engine.begin() as conn:
        row = conn.execute(
            select(db.orders.c.status, db.orders.c.user_id).where(db.orders.c.id == order_id).with_for_update()
        ).first()
        if row is None:
            raise HTTPException(404, "no such order")
        if row.status == "paid":
            raise HTTPException(409, "the order is paid already")
        # the simulated payment provider (PAYMENT_FAILURE_RATE declines)
        declined = random.random() < settings.payment_failure_rate
        status = "payment_failed" if declined else "paid"
        conn.execute(db.orders.update().where(db.orders.c.id == order_id).values(status=status))
        order = _order(conn, order_id)
    metrics.payments.labels("failed" if declined else "success").inc()
    metrics.user_active(row.user_id)
    if declined:
        return JSONResponse(
            {"error": "payment_declined", "message": "the payment was declined", "order": order}, 402
        )
    return order
