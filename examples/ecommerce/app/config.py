"""Configuration from the environment cfgen renders (deploy/docker-compose.yml, the k8s
ConfigMap ecommerce-app-env and the Deployment's *_FILE variables). See README.md."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit


class ConfigError(Exception):
    """A bad value; the message names the variable and never echoes a secret."""


def _raw(env: dict[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _secret(env: dict[str, str], name: str) -> str:
    """NAME or NAME_FILE (a mounted secret file; surrounding whitespace trimmed), exactly one."""
    direct = _raw(env, name)
    path = _raw(env, f"{name}_FILE")
    if direct is not None and path is not None:
        raise ConfigError(f"{name}: set {name} or {name}_FILE, not both")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as f:
                value = f.read().strip()
        except OSError as e:
            raise ConfigError(f"{name}_FILE: cannot read {path}: {e.strerror}") from None
        if not value:
            raise ConfigError(f"{name}_FILE: {path} is empty")
        return value
    if direct is not None:
        return direct
    raise ConfigError(f"{name}: required (or {name}_FILE naming a file that holds it)")


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        value = None
    if value is None or value < minimum:
        bound = "0 or more" if minimum == 0 else f"at least {minimum}"
        raise ConfigError(f"{name}: expected a whole number, {bound}")
    return value


def _float(env: dict[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not lo <= value <= hi:
        raise ConfigError(f"{name}: expected a number from {lo} to {hi}")
    return value


_LEVELS = {
    "off": None,
    "error": "ERROR",
    "warn": "WARNING",
    "info": "INFO",
    "debug": "DEBUG",
    "trace": "DEBUG",
}


def parse_log_level(spec: str) -> tuple[str, dict[str, str | None]]:
    """`info,app=info,sqlalchemy=warn`: a default level, then logger=level directives (the
    syntax the generator writes for every runtime). Returns (root level, {logger: level});
    a level None means the logger is off."""
    root = "INFO"
    targets: dict[str, str | None] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, level = part.rpartition("=")
        level = level.strip().lower()
        if level not in _LEVELS:
            raise ConfigError(
                f"LOG_LEVEL: unknown level {level!r} (off, error, warn, info, debug, trace)"
            )
        if sep:
            if not name.strip():
                raise ConfigError("LOG_LEVEL: a directive has an empty target")
            targets[name.strip()] = _LEVELS[level]
        else:
            root = _LEVELS[level] or "CRITICAL"
    return root, targets


def sqlalchemy_url(url: str) -> str:
    """mysql://user:pass@host:3306/db (also mariadb://) -> SQLAlchemy's PyMySQL URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
        raise ConfigError("DATABASE_URL: expected a mysql:// URL")
    if not parts.hostname or not parts.path.strip("/"):
        raise ConfigError("DATABASE_URL: expected mysql://user:password@host:port/database")
    user = quote(unquote(parts.username or ""), safe="")
    password = quote(unquote(parts.password or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{parts.port}" if parts.port else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"mysql+pymysql://{auth}{parts.hostname}{port}{parts.path}{query}"


@dataclass(frozen=True)
class Settings:
    port: int
    run_mode: str
    database_url: str  # SQLAlchemy form
    redis_url: str
    log_level: str
    log_targets: dict[str, str | None]
    log_format: str
    log_file: str | None
    db_pool_size: int
    db_max_overflow: int
    db_pool_timeout: int
    db_pool_recycle: int
    db_query_timeout: int
    redis_pool_size: int
    redis_timeout: int
    cache_ttl: int
    workers: int
    worker_connections: int
    keepalive_timeout: int
    request_body_limit: int
    shutdown_grace: int
    payment_failure_rate: float


def load(env: dict[str, str] | None = None, *, need_redis: bool = True) -> Settings:
    env = dict(os.environ if env is None else env)
    run_mode = (_raw(env, "RUN_MODE") or "production").lower()
    if run_mode not in ("production", "development"):
        raise ConfigError("RUN_MODE: expected production or development")
    log_format = (_raw(env, "LOG_FORMAT") or "json").lower()
    if log_format not in ("json", "text"):
        raise ConfigError("LOG_FORMAT: expected json or text")
    root, targets = parse_log_level(_raw(env, "LOG_LEVEL") or "info")
    redis_url = _secret(env, "REDIS_URL") if need_redis else ""
    if redis_url and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL: expected a redis:// URL")
    return Settings(
        port=_int(env, "PORT", 8000),
        run_mode=run_mode,
        database_url=sqlalchemy_url(_secret(env, "DATABASE_URL")),
        redis_url=redis_url,
        log_level=root,
        log_targets=targets,
        log_format=log_format,
        log_file=_raw(env, "LOG_FILE"),
        db_pool_size=_int(env, "DB_POOL_SIZE", 10),
        db_max_overflow=_int(env, "DB_MAX_OVERFLOW", 0, minimum=0),
        db_pool_timeout=_int(env, "DB_POOL_TIMEOUT_SECONDS", 5),
        db_pool_recycle=_int(env, "DB_POOL_RECYCLE_SECONDS", 1800),
        db_query_timeout=_int(env, "DB_QUERY_TIMEOUT_SECONDS", 10),
        redis_pool_size=_int(env, "REDIS_POOL_SIZE", 8),
        redis_timeout=_int(env, "REDIS_TIMEOUT_SECONDS", 2),
        cache_ttl=_int(env, "CACHE_TTL_SECONDS", 60, minimum=0),
        workers=_int(env, "WORKERS", os.cpu_count() or 1),
        worker_connections=_int(env, "WORKER_CONNECTIONS", 1024),
        keepalive_timeout=_int(env, "KEEPALIVE_TIMEOUT_SECONDS", 75),
        request_body_limit=_int(env, "REQUEST_BODY_LIMIT_BYTES", 1048576),
        shutdown_grace=_int(env, "SHUTDOWN_GRACE_SECONDS", 25),
        payment_failure_rate=_float(env, "PAYMENT_FAILURE_RATE", 0.0, 0.0, 1.0),
    )


def load_or_exit(**kwargs) -> Settings:
    try:
        return load(**kwargs)
    except ConfigError as e:
        print(f"ecommerce: invalid configuration: {e}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
