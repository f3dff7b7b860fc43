"""Alembic environment: the URL from DATABASE_URL / DATABASE_URL_FILE (app/config.py), logs
as the app's (LOG_FORMAT, LOG_LEVEL), online migrations only."""

from __future__ import annotations

import logging
import signal
import sys

from alembic import context
from sqlalchemy import create_engine, pool

from app import config as app_config

# As PID 1 of the compose `migrate` container, Python would ignore SIGTERM (no default action
# for PID 1): exit instead, which rolls the running migration's transaction back.
signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))

settings = app_config.load_or_exit(need_redis=False)
if settings.log_format == "json":
    from app import logs

    logs.setup(settings)
    logging.getLogger("alembic").setLevel(logging.INFO)
elif context.config.config_file_name is not None:
    from logging.config import fileConfig

    fileConfig(context.config.config_file_name)


def run_migrations_online() -> None:
    engine = create_engine(
        settings.database_url,
        poolclass=pool.NullPool,
        connect_args={"connect_timeout": 10, "read_timeout": 300, "write_timeout": 300},
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `alembic upgrade head` against the database")
run_migrations_online()
