"""jobs survive Redis dying: outbox rows are claimed and re-dispatched

Revision ID: e5a1c0d4b302
Revises: e5a1c0d4b301
Create Date: 2026-11-30 16:00:00

An outbox row is claimed (status `running`, `started_at`) before its job acts; a row lost while
running is put back with `outcome_unknown` so its next attempt knows it may be a copy.
"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1c0d4b302"
down_revision = "e5a1c0d4b301"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("outcome_unknown", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_column("outcome_unknown")
        batch_op.drop_column("started_at")
