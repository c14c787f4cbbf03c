"""messages as data, the courier-confirms flag, job summaries, printer kind, singleton rows

- order_events.remark (a finished sentence) becomes order_events.note (code + parameters);
  existing sentences are parsed back into their codes, anything else is kept as a person's note.
- orders.courier_confirms replaces asking the delivery and wholesale tables whether a rider or a
  driver completes the order.
- outbox_jobs.summary says what a job does in people's words.
- sms_messages.body goes: the text is rendered from template + parameters when shown or sent.
- stores.printer_kind names the printer adapter ("lan").
- the dispatch_settings singleton row is created here, never by a read.

Revision ID: d3a8c51e9f02
Revises: b7d1e4f20a11
Create Date: 2026-11-30 15:40:00

"""

import re
import secrets

import sqlalchemy as sa
from alembic import op

revision = "d3a8c51e9f02"
down_revision = "b7d1e4f20a11"
branch_labels = None
depends_on = None

FIXED = {
    "买家下单": "placed",
    "发货方式：配送助手": "shipped_by_assistant",
    "推送至配送助手": "pushed_to_assistant",
    "骑手已送达": "rider_delivered",
    "买家确认收货": "buyer_received",
    "业务经理已与客户确认订单": "manager_confirmed",
    "客服已与客户确认订单": "service_confirmed",
}
PATTERNS = [
    (re.compile(r"^骑手 (?P<name>.+) (?P<phone>\d{6,})$"), "rider_on_task"),
    (re.compile(r"^指派司机 (?P<name>.+) (?P<phone>\d{6,})$"), "driver_assigned"),
    (re.compile(r"^司机上传签收单 (?P<count>\d+) 张$"), "slips_uploaded"),
    (re.compile(r"^补传签收单 (?P<count>\d+) 张$"), "slips_added"),
    (re.compile(r"^由商家流转至交易完成：(?P<remark>.*)$"), "staff_completed"),
    (re.compile(r"^(?P<method>快递发货|物流发货|其他方式)：(?P<remark>.*)$"), "shipped_other_way"),
]


def note_of(remark):
    if not remark:
        return None
    if remark in FIXED:
        return {"code": FIXED[remark]}
    for pattern, code in PATTERNS:
        found = pattern.match(remark)
        if found:
            params = found.groupdict()
            if "count" in params:
                params["count"] = int(params["count"])
            return {"code": code, **params}
    return {"code": "note", "text": remark}


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.JSON(), nullable=True))
    events = sa.table(
        "order_events",
        sa.column("id", sa.Integer),
        sa.column("remark", sa.String),
        sa.column("note", sa.JSON),
    )
    rows = bind.execute(sa.select(events.c.id, events.c.remark)).all()
    for row in rows:
        note = note_of(row.remark)
        if note is not None:
            bind.execute(events.update().where(events.c.id == row.id).values(note=note))
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_column("remark")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("courier_confirms", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE orders SET courier_confirms = true WHERE id IN (SELECT order_id FROM delivery_tasks)"
        " OR id IN (SELECT order_id FROM fulfilments WHERE driver_id IS NOT NULL)"
    )

    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))

    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_column("body")

    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("printer_kind", sa.String(length=20), nullable=False, server_default="lan")
        )

    settings = sa.table(
        "dispatch_settings",
        sa.column("id", sa.Integer),
        sa.column("auth_code", sa.String),
        sa.column("mode", sa.String),
        sa.column("connected", sa.Boolean),
    )
    if bind.execute(sa.select(sa.func.count()).select_from(settings)).scalar() == 0:
        bind.execute(
            settings.insert().values(
                auth_code=secrets.token_hex(8).upper(), mode="grab", connected=True
            )
        )


def downgrade():
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("printer_kind")
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.String(length=500), nullable=False, server_default=""))
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_column("summary")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("courier_confirms")
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remark", sa.String(length=255), nullable=False, server_default=""))
        batch_op.drop_column("note")
