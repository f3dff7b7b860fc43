"""Settings from the environment cfgen generates (see deploy/docker-compose.yml and the
ConfigMap): secrets are read from the files their *_FILE variables name."""
import os
from pathlib import Path
from urllib.parse import urlparse


def secret(name):
    """A secret's value: from the file NAME_FILE names, else from NAME."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


SECRET_KEY = secret("DJANGO_SECRET_KEY") or "insecure-development-key"
DEBUG = False
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "*").split(",")
INSTALLED_APPS = ["django.contrib.contenttypes", "tasks"]
MIDDLEWARE = []
ROOT_URLCONF = "tasks.urls"
WSGI_APPLICATION = "tasks.wsgi.application"
USE_TZ = True
# Django's default is America/Chicago: log times and the report's day in UTC instead
TIME_ZONE = "UTC"
# the primary key type of migrations/0001_initial.py (Django's default is AutoField, for which
# `migrate` would report model changes without a migration and check warns W042)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_db = urlparse(secret("DATABASE_URL") or "postgres://tasks:tasks@localhost:5432/tasks")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "USER": _db.username or "",
        "PASSWORD": _db.password or "",
        "HOST": _db.hostname or "",
        "PORT": str(_db.port or 5432),
        "CONN_MAX_AGE": int(os.environ.get("DB_POOL_RECYCLE_SECONDS", "60")),
        # a kept connection is checked before a request reuses it: after the database restarts,
        # each gunicorn worker's stale connection would otherwise fail its next request (500)
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5},
    }
}

CELERY_BROKER_URL = secret("REDIS_URL") or "redis://localhost:6379/0"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "format": '{"time": "%(asctime)s", "level": "%(levelname)s", "logger": "%(name)s", "message": "%(message)s"}'
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "info").split(",")[0].upper()},
}
