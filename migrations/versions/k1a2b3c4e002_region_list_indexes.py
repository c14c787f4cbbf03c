"""orders: a region's lists read one status in their own order off an index (the sales
manager's tabs newest first, the driver's 待送达 by shipping time) instead of sorting every
order of that status

Revision ID: k1a2b3c4e002
Revises: k1a2b3c4e001
Create Date: 2026-12-01 11:30:00

"""

from alembic import op

revision = "k1a2b3c4e002"
down_revision = "k1a2b3c4e001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_region_status_created", ["region_id", "status", "created_at", "id"]
        )
        batch_op.create_index(
            "ix_orders_region_status_shipped", ["region_id", "status", "shipped_at", "id"]
        )
        batch_op.drop_index("ix_orders_region_status")


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_region_status", ["region_id", "status"])
        batch_op.drop_index("ix_orders_region_status_shipped")
        batch_op.drop_index("ix_orders_region_status_created")
