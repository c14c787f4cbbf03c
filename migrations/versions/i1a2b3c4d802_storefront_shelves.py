"""storefront shelves: partial indexes of the products on sale in the 综合 order (pins, sales,
newest), per category and overall, on PostgreSQL

Revision ID: i1a2b3c4d802
Revises: i1a2b3c4d801
Create Date: 2026-11-30 21:20:00

"""

from alembic import op

revision = "i1a2b3c4d802"
down_revision = "i1a2b3c4d801"
branch_labels = None
depends_on = None

ON_SALE = "listed IS TRUE AND deleted_at IS NULL AND audit_status = 'approved'"
RANK = "pinned_at DESC NULLS LAST, sales_count DESC, id DESC"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX ix_products_shelf_category ON products (category_id, {RANK}) "
            f"WHERE {ON_SALE}"
        )
        op.execute(f"CREATE INDEX ix_products_shelf ON products ({RANK}) WHERE {ON_SALE}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_shelf")
        op.execute("DROP INDEX IF EXISTS ix_products_shelf_category")
