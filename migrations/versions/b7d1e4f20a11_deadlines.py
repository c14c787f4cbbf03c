"""deadlines: time-based rules as rows, applied by one sweep

Revision ID: b7d1e4f20a11
Revises: 5c1e0d2b7f4a
Create Date: 2026-11-24 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7d1e4f20a11"
down_revision = "5c1e0d2b7f4a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
        sa.UniqueConstraint("kind", "subject_id", name=op.f("uq_deadlines_kind")),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_done_due", ["done_at", "due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_done_due")

    op.drop_table("deadlines")
