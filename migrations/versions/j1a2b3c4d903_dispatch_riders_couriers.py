"""the 配送助手 connection and rules, rider profiles (approval, duty, cap, position), rider taps
remembered by key, store courier accounts (Dada) and courier callbacks; where an order goes
(coordinates); a task's courier, distance,
assignment, cancel reason, alarm and the courier's side of it; role 配送调度

Revision ID: j1a2b3c4d903
Revises: j1a2b3c4d902
Create Date: 2026-12-01 02:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "j1a2b3c4d903"
down_revision = "j1a2b3c4d902"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dispatch_settings") as batch:
        batch.add_column(sa.Column("connected_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("connected_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("commission_fixed_fen", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("commission_per_km_fen", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("alarm_after_minutes", sa.Integer(), nullable=False, server_default="10")
        )
        batch.create_foreign_key(
            "fk_dispatch_settings_connected_by_id_users", "users", ["connected_by_id"], ["id"]
        )

    with op.batch_alter_table("delivery_tasks") as batch:
        batch.add_column(
            sa.Column("courier", sa.String(20), nullable=False, server_default="assistant")
        )
        batch.add_column(sa.Column("distance_m", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("cancel_reason", sa.String(200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("alarmed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("courier_order_no", sa.String(64), nullable=True))
        batch.add_column(sa.Column("courier_status", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("courier_rider_name", sa.String(50), nullable=True))
        batch.add_column(sa.Column("courier_rider_phone", sa.String(20), nullable=True))
        batch.add_column(sa.Column("courier_fee_fen", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("courier_deduct_fen", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_delivery_tasks_assigned_by_id_users", "users", ["assigned_by_id"], ["id"]
        )

    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("delivery_lat", sa.Double(), nullable=True))
        batch.add_column(sa.Column("delivery_lng", sa.Double(), nullable=True))

    op.create_table(
        "rider_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("vehicle", sa.String(20), nullable=False),
        sa.Column("max_active", sa.Integer(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("duty_changed_at", sa.DateTime(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lng", sa.Double(), nullable=True),
        sa.Column("position_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.String(200), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_rider_profiles_user_id_users"),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name="fk_rider_profiles_reviewed_by_id_users"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_rider_profiles"),
    )
    # Riders who exist already are approved and keep working: on duty, as before duty existed.
    op.execute(
        "INSERT INTO rider_profiles (user_id, status, vehicle, max_active, on_duty, created_at,"
        " review_note) SELECT DISTINCT user_id, 'approved', '', 3, true, CURRENT_TIMESTAMP, ''"
        " FROM role_grants WHERE role = 'rider'"
    )

    op.create_table(
        "task_taps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["rider_id"], ["users.id"], name="fk_task_taps_rider_id_users"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["delivery_tasks.id"], name="fk_task_taps_task_id_delivery_tasks"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_task_taps"),
        sa.UniqueConstraint("rider_id", "key", name="uq_task_taps_rider_id"),
    )

    op.create_table(
        "store_couriers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("courier", sa.String(20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("shop_no", sa.String(64), nullable=False),
        sa.Column("city_code", sa.String(20), nullable=False),
        sa.Column("auto_dispatch", sa.Boolean(), nullable=False),
        sa.Column("balance_alert_fen", sa.Integer(), nullable=False),
        sa.Column("balance_fen", sa.Integer(), nullable=True),
        sa.Column("balance_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name="fk_store_couriers_store_id_stores"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_store_couriers"),
        sa.UniqueConstraint("store_id", "courier", name="uq_store_couriers_store_id"),
    )

    op.create_table(
        "courier_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier", sa.String(20), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["delivery_tasks.id"], name="fk_courier_callbacks_task_id_delivery_tasks"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_courier_callbacks"),
        sa.UniqueConstraint("courier", "dedupe_key", name="uq_courier_callbacks_courier"),
    )


def downgrade():
    op.drop_table("courier_callbacks")
    op.drop_table("store_couriers")
    op.drop_table("task_taps")
    op.drop_table("rider_profiles")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("delivery_lng")
        batch.drop_column("delivery_lat")
    with op.batch_alter_table("delivery_tasks") as batch:
        batch.drop_constraint("fk_delivery_tasks_assigned_by_id_users", type_="foreignkey")
        for column in (
            "courier_deduct_fen",
            "courier_fee_fen",
            "courier_rider_phone",
            "courier_rider_name",
            "courier_status",
            "courier_order_no",
            "alarmed_at",
            "cancel_reason",
            "assigned_by_id",
            "distance_m",
            "courier",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("dispatch_settings") as batch:
        batch.drop_constraint("fk_dispatch_settings_connected_by_id_users", type_="foreignkey")
        for column in (
            "alarm_after_minutes",
            "commission_per_km_fen",
            "commission_fixed_fen",
            "connected_by_id",
            "connected_at",
        ):
            batch.drop_column(column)
