"""a region's counts and a driver's list read indexes alone: the sales tabs' counts filter on
the order's kind, now carried in ix_orders_region_status_created (PostgreSQL INCLUDE), and a
driver's 待送达 probes (order, driver) in an index of its own instead of each fulfilment row

Revision ID: k1a2b3c4e003
Revises: k1a2b3c4e002
Create Date: 2026-12-02 01:10:00

"""

from alembic import op

revision = "k1a2b3c4e003"
down_revision = "k1a2b3c4e002"
branch_labels = None
depends_on = None

COLUMNS = ["region_id", "status", "created_at", "id"]


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_region_status_created")
        batch_op.create_index(
            "ix_orders_region_status_created", COLUMNS, postgresql_include=["kind"]
        )
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.create_index("ix_fulfilments_order_driver", ["order_id", "driver_id"])


def downgrade():
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfilments_order_driver")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_region_status_created")
        batch_op.create_index("ix_orders_region_status_created", COLUMNS)
