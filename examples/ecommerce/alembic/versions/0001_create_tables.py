"""users, products, orders, order_items; the product catalogue

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

INNODB = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        **INNODB,
    )
    products = op.create_table(
        "products",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        sa.Column("stock", sa.Integer, nullable=False),
        sa.CheckConstraint("stock >= 0", name="products_stock_non_negative"),
        **INNODB,
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total_cents", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Index("orders_user_id", "user_id"),
        **INNODB,
    )
    op.create_table(
        "order_items",
        sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("product_id", sa.BigInteger, sa.ForeignKey("products.id"), primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        **INNODB,
    )
    op.bulk_insert(
        products,
        [
            {"name": "Espresso beans, 1 kg", "price_cents": 2490, "stock": 1000},
            {"name": "Pour-over kettle", "price_cents": 5900, "stock": 200},
            {"name": "Ceramic mug", "price_cents": 1200, "stock": 5000},
            {"name": "Burr grinder", "price_cents": 14900, "stock": 100},
            {"name": "Paper filters, 100", "price_cents": 450, "stock": 10000},
        ],
    )


def downgrade() -> None:
    op.drop_table("order_items")
    op.drop_table("orders")
    op.drop_table("products")
    op.drop_table("users")
