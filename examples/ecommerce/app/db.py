"""MySQL through SQLAlchemy (PyMySQL). The schema is alembic's (alembic/versions/); these
table objects mirror it for queries."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
)
from sqlalchemy.engine import Engine

from .config import Settings

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.now()),
)

products = Table(
    "products",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("stock", Integer, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.now()),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("product_id", BigInteger, primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("price_cents", BigInteger, nullable=False),
)


def engine(settings: Settings) -> Engine:
    """The pool of performance.yaml's database settings; every connection bounded by the
    query timeout (PyMySQL read/write timeouts) and a 5 s connect timeout."""
    connect_args = {
        "connect_timeout": 5,
        "read_timeout": settings.db_query_timeout,
        "write_timeout": settings.db_query_timeout,
        "charset": "utf8mb4",
    }
    return create_engine(
        settings.database_url,
        connect_args=connect_args,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=True,
    )
