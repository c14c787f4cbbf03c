"""printer targets: where a store may point its printer, and the last check

Revision ID: e5a1c0d4b304
Revises: e5a1c0d4b303
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1c0d4b304"
down_revision = "e5a1c0d4b303"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("printer_check_requested_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("printer_checked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("printer_check_error", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("printer_check_error")
        batch_op.drop_column("printer_checked_at")
        batch_op.drop_column("printer_check_requested_at")
