"""The one Alembic chain builds exactly what the models describe, on this backend."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.extensions import db, migration_filter
from app.messages import render


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_object": migration_filter(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, db.metadata) == []


def test_old_timeline_sentences_migrate_to_messages(tmp_path):
    """Rows written before messages were data are parsed back into codes and parameters, so the
    old history renders in English and masks phones like new rows do."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="b7d1e4f20a11")  # the schema before this change
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, phone, name, password_hash, active, created_at)"
                    " VALUES (1, '13800000007', '周会员', 'x', 1, '2026-11-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO stores (id, name, kind, business_status, category, phone,"
                    " address, intro, delivery_fee_fen, rider_commission_fen, printer_port,"
                    " printer_encoding, created_at) VALUES (1, '椰城小厨', 'same_city', 'open',"
                    " '', '', '', '', 0, 600, 9100, 'gb18030', '2026-11-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO orders (id, no, store_id, buyer_id, kind, status, payment_method,"
                    " goods_fen, delivery_fee_fen, total_fen, contact_name, contact_phone,"
                    " address, buyer_remark, created_at) VALUES (1, 'N1', 1, 1, 'same_city',"
                    " 'shipped', 'cod', 100, 0, 100, '周', '13800000007', '海口', '',"
                    " '2026-11-01')"
                )
            )
            remarks = ["买家下单", "骑手 赵骑手 13800000006", "快递发货：顺丰 SF1", "随便写的", ""]
            for n, remark in enumerate(remarks, start=1):
                conn.execute(
                    sa.text(
                        "INSERT INTO order_events (id, order_id, machine, actor_role, actor_name,"
                        " to_status, remark, created_at) VALUES (:id, 1, 'order', 'system', '',"
                        " 'shipped', :remark, '2026-11-01')"
                    ),
                    {"id": n, "remark": remark},
                )
        upgrade()
        with db.engine.connect() as conn:
            notes = conn.execute(sa.text("SELECT note FROM order_events ORDER BY id")).scalars()
            notes = [json.loads(note) if note else None for note in notes]
        db.engine.dispose()
    assert notes == [
        {"code": "placed"},
        {"code": "rider_on_task", "name": "赵骑手", "phone": "13800000006"},
        {"code": "shipped_other_way", "method": "快递发货", "remark": "顺丰 SF1"},
        {"code": "note", "text": "随便写的"},
        None,
    ]
    assert render(notes[1], audience="factory") == "骑手 赵骑手 138****0006"
