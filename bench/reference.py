"""The references the portal pages are measured against, served by gunicorn like the app.

`/hello` is the floor of what Flask + gunicorn can do here. `/orders` is the hand-tuned page:
one SQLAlchemy Core query for the newest rows of one store and one module-level Jinja template,
nothing else (no ORM, no session, no login, no CSRF, no i18n). `POST /tasks/<id>/status` is the
hand-tuned transition the rider's tap is measured against: one compare-and-set UPDATE of the
delivery task, one event INSERT, a 303 (a twin that finds the task already moved gets 409).
`POST /tasks/<id>/grab` is the hand-tuned grab `bench.grab` races next to the rider portal's: the
rider named by the form (no login) takes a waiting task by one compare-and-set UPDATE and one event
INSERT, 200 抢单成功; everyone after it gets 409 已被抢.

    BENCH_DATABASE_URL=postgresql+psycopg://... BENCH_STORE_ID=7 gunicorn bench.reference:app
"""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask, abort, redirect, request
from jinja2 import Environment
from sqlalchemy import column, create_engine, desc, func, insert, select, table, update

orders = table(
    "orders",
    column("id"),
    column("no"),
    column("store_id"),
    column("created_at"),
    column("contact_name"),
    column("contact_phone"),
    column("total_fen"),
    column("status"),
)
stores = table("stores", column("id"), column("name"))
tasks = table(
    "delivery_tasks",
    column("id"),
    column("order_id"),
    column("status"),
    column("rider_id"),
    *(
        column(f"{step}_at")
        for step in ("accepted", "arrived", "picked", "delivering", "delivered")
    ),
)
events = table(
    "order_events",
    column("order_id"),
    column("machine"),
    column("actor_id"),
    column("actor_role"),
    column("actor_name"),
    column("from_status"),
    column("to_status"),
    column("created_at"),
)
# the rider's steps after accepting: to -> the status the task must be in (compare-and-set)
TASK_MOVES = {
    "arrived": "accepted",
    "picked": "arrived",
    "delivering": "picked",
    "delivered": "delivering",
}

STATUS_LABELS = {
    "pending_payment": "待付款",
    "pending_confirm": "待确认",
    "awaiting_shipment": "待发货",
    "shipped": "已发货",
    "completed": "已完成",
    "closed": "已关闭",
}
SHANGHAI_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no daylight saving

TEMPLATE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>订单 · {{ store_name }}</title></head>
<body>
<h1>{{ store_name }} · 订单</h1>
<table>
<thead><tr><th>订单号</th><th>下单时间</th><th>联系人</th><th>电话</th><th>金额</th><th>状态</th></tr></thead>
<tbody>
{%- for row in rows %}
<tr><td>{{ row.no }}</td><td>{{ (row.created_at + offset).strftime("%Y-%m-%d %H:%M") }}</td>
<td>{{ row.contact_name }}</td><td>{{ row.contact_phone }}</td>
<td>¥{{ "%d.%02d"|format(row.total_fen // 100, row.total_fen % 100) }}</td>
<td>{{ labels.get(row.status, row.status) }}</td></tr>
{%- endfor %}
</tbody>
</table>
</body>
</html>
"""
)

engine = create_engine(os.environ.get("BENCH_DATABASE_URL", "sqlite://"))
STORE_ID = int(os.environ.get("BENCH_STORE_ID", "1"))
ROWS = int(os.environ.get("BENCH_REFERENCE_ROWS", "50"))
QUERY = (
    select(
        orders.c.no,
        orders.c.created_at,
        orders.c.contact_name,
        orders.c.contact_phone,
        orders.c.total_fen,
        orders.c.status,
        stores.c.name.label("store_name"),
    )
    .join(stores, stores.c.id == orders.c.store_id)
    .where(orders.c.store_id == STORE_ID)
    .order_by(desc(orders.c.created_at))
    .limit(ROWS)
)

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello"


@app.get("/orders")
def order_list():
    with engine.connect() as conn:
        rows = conn.execute(QUERY).all()
    store_name = rows[0].store_name if rows else ""
    return TEMPLATE.render(
        rows=rows, store_name=store_name, labels=STATUS_LABELS, offset=SHANGHAI_OFFSET
    )


@app.post("/tasks/<int:task_id>/status")
def task_status(task_id: int):
    to = request.form.get("to", "")
    frm = TASK_MOVES.get(to) or abort(400)
    now = func.now()
    with engine.begin() as conn:
        order_id = conn.execute(
            update(tasks)
            .where(tasks.c.id == task_id, tasks.c.status == frm)
            .values({"status": to, f"{to}_at": now})
            .returning(tasks.c.order_id)
        ).scalar()
        if order_id is None:
            abort(409)
        _record_move(conn, order_id, None, frm, to)
    return redirect("/tasks", code=303)


@app.post("/tasks/<int:task_id>/grab")
def task_grab(task_id: int):
    rider_id = request.form.get("rider", type=int) or abort(400)
    now = func.now()
    with engine.begin() as conn:
        order_id = conn.execute(
            update(tasks)
            .where(tasks.c.id == task_id, tasks.c.status == "waiting")
            .values(status="accepted", rider_id=rider_id, accepted_at=now)
            .returning(tasks.c.order_id)
        ).scalar()
        if order_id is None:
            return "已被抢", 409
        _record_move(conn, order_id, rider_id, "waiting", "accepted")
    return "抢单成功"


def _record_move(conn, order_id: int, rider_id: int | None, frm: str, to: str) -> None:
    """The one event INSERT of a hand-tuned move."""
    conn.execute(
        insert(events).values(
            order_id=order_id,
            machine="delivery",
            actor_id=rider_id,
            actor_role="rider",
            actor_name="",
            from_status=frm,
            to_status=to,
            created_at=func.now(),
        )
    )
