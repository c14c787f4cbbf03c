"""the same slip photo twice for one order is kept once

Revision ID: e5a1c0d4b305
Revises: e5a1c0d4b304
Create Date: 2026-11-30 16:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1c0d4b305"
down_revision = "e5a1c0d4b304"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("slip_photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_slip_photos_order_id"), ["order_id", "digest"]
        )


def downgrade():
    with op.batch_alter_table("slip_photos", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_slip_photos_order_id"), type_="unique")
        batch_op.drop_column("digest")
