"""same-city delivery rules per store (radius, fee tiers by distance, fee beyond them, 起送价,
preparation time, delivery slots) and the distance and slot chosen on each order

Revision ID: j1a2b3c4d902
Revises: j1a2b3c4d901
Create Date: 2026-12-01 00:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "j1a2b3c4d902"
down_revision = "j1a2b3c4d901"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stores") as batch:
        batch.add_column(sa.Column("delivery_radius_m", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("delivery_fee_tiers", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("delivery_beyond_km_fen", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("min_order_fen", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("prep_minutes", sa.Integer(), nullable=False, server_default="30")
        )
        batch.add_column(
            sa.Column(
                "delivery_slots", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("delivery_distance_m", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("delivery_slot_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("delivery_slot_at")
        batch.drop_column("delivery_distance_m")
    with op.batch_alter_table("stores") as batch:
        for column in (
            "delivery_slots",
            "prep_minutes",
            "min_order_fen",
            "delivery_beyond_km_fen",
            "delivery_fee_tiers",
            "delivery_radius_m",
        ):
            batch.drop_column(column)
