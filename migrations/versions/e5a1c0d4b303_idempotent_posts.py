"""every POST safe to submit twice: a checkout remembers its key and its orders

Revision ID: e5a1c0d4b303
Revises: e5a1c0d4b302
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1c0d4b303"
down_revision = "e5a1c0d4b302"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "checkouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_checkouts_buyer_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkouts")),
        sa.UniqueConstraint("buyer_id", "key", name=op.f("uq_checkouts_buyer_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkout_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_checkout_id"), ["checkout_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_checkout_id_checkouts"), "checkouts", ["checkout_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_orders_checkout_id_checkouts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_orders_checkout_id"))
        batch_op.drop_column("checkout_id")
    op.drop_table("checkouts")
