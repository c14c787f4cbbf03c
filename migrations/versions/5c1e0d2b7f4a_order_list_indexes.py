"""order list indexes hold the list order (created_at, id)

Revision ID: 5c1e0d2b7f4a
Revises: a3190a954d6b
Create Date: 2026-11-23 15:10:00

"""

from alembic import op

revision = "5c1e0d2b7f4a"
down_revision = "a3190a954d6b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_created_at")
        batch_op.drop_index("ix_orders_store_created")
        batch_op.create_index("ix_orders_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_orders_store_created", ["store_id", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_store_created")
        batch_op.drop_index("ix_orders_created")
        batch_op.create_index("ix_orders_store_created", ["store_id", "created_at"], unique=False)
        batch_op.create_index("ix_orders_created_at", ["created_at"], unique=False)
