"""money: the append-only ledger (accounts, postings, entries), withdrawals, commission rates and
the platform's withdrawal rules; on PostgreSQL a trigger refuses any UPDATE or DELETE of a
posting or an entry

Revision ID: j1a2b3c4d901
Revises: i1a2b3c4d802
Create Date: 2026-12-01 00:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "j1a2b3c4d901"
down_revision = "i1a2b3c4d802"
branch_labels = None
depends_on = None

AGREEMENT = (
    "1. 提现金额从可提现余额中扣除，平台审核通过后线下打款至您填写的收款账户。\n"
    "2. 请确保收款账户信息真实有效，因账户信息错误导致的打款失败由店铺自行承担。\n"
    "3. 订单完成后的退款将从可提现余额中扣回；余额为负时不能提现。"
)


def upgrade():
    op.create_table(
        "finance_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("withdrawals_enabled", sa.Boolean(), nullable=False),
        sa.Column("withdraw_min_fen", sa.Integer(), nullable=False),
        sa.Column("withdraw_interval_days", sa.Integer(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_settings")),
    )
    op.create_table(
        "store_commission_rates",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("bp", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "bp >= 0 AND bp <= 10000", name=op.f("ck_store_commission_rates_bp_range")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_store_commission_rates_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_commission_rates")),
    )
    op.create_table(
        "category_commission_rates",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("bp", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "bp >= 0 AND bp <= 10000", name=op.f("ck_category_commission_rates_bp_range")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_commission_rates_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("category_id", name=op.f("pk_category_commission_rates")),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("rider_id", sa.Integer(), nullable=True),
        sa.Column("pending_fen", sa.Integer(), nullable=False),
        sa.Column("available_fen", sa.Integer(), nullable=False),
        sa.Column("review_fen", sa.Integer(), nullable=False),
        sa.Column("payout_fen", sa.Integer(), nullable=False),
        sa.Column("withdrawn_fen", sa.Integer(), nullable=False),
        sa.Column("payout_method", sa.String(length=10), nullable=False),
        sa.Column("payout_name", sa.String(length=50), nullable=False),
        sa.Column("payout_account", sa.String(length=50), nullable=False),
        sa.Column("payout_bank", sa.String(length=50), nullable=False),
        sa.Column("agreement_accepted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'platform' AND store_id IS NULL AND rider_id IS NULL)"
            " OR (kind = 'store' AND store_id IS NOT NULL AND rider_id IS NULL)"
            " OR (kind = 'rider' AND rider_id IS NOT NULL AND store_id IS NULL)",
            name=op.f("ck_ledger_accounts_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["rider_id"], ["users.id"], name=op.f("fk_ledger_accounts_rider_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_ledger_accounts_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("rider_id", name=op.f("uq_ledger_accounts_rider_id")),
        sa.UniqueConstraint("store_id", name=op.f("uq_ledger_accounts_store_id")),
    )
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("no", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("account_name", sa.String(length=50), nullable=False),
        sa.Column("account_no", sa.String(length=50), nullable=False),
        sa.Column("bank", sa.String(length=50), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("paid_by", sa.Integer(), nullable=True),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_withdrawals_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_withdrawals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["paid_by"], ["users.id"], name=op.f("fk_withdrawals_paid_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_withdrawals_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
        sa.UniqueConstraint("no", name=op.f("uq_withdrawals_no")),
        sa.UniqueConstraint(
            "account_id", "request_key", name=op.f("uq_withdrawals_account_id")
        ),
    )
    op.create_index(op.f("ix_withdrawals_account_id"), "withdrawals", ["account_id"])
    op.create_index(op.f("ix_withdrawals_status"), "withdrawals", ["status"])
    op.create_index(op.f("ix_withdrawals_created_at"), "withdrawals", ["created_at"])
    op.create_table(
        "ledger_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("withdrawal_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=50), nullable=False),
        sa.Column("remark", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_ledger_postings_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_ledger_postings_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_ledger_postings_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["delivery_tasks.id"],
            name=op.f("fk_ledger_postings_task_id_delivery_tasks"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawal_id"],
            ["withdrawals.id"],
            name=op.f("fk_ledger_postings_withdrawal_id_withdrawals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_postings_key")),
    )
    op.create_index(op.f("ix_ledger_postings_order_id"), "ledger_postings", ["order_id"])
    op.create_index(op.f("ix_ledger_postings_created_at"), "ledger_postings", ["created_at"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=10), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "bucket IN ('pending', 'available', 'review', 'payout', 'withdrawn')",
            name=op.f("ck_ledger_entries_bucket"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_entries_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_ledger_entries_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"],
            ["ledger_postings.id"],
            name=op.f("fk_ledger_entries_posting_id_ledger_postings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_account_created", "ledger_entries", ["account_id", "created_at"]
    )
    op.create_index(op.f("ix_ledger_entries_order_id"), "ledger_entries", ["order_id"])
    op.create_index(op.f("ix_ledger_entries_posting_id"), "ledger_entries", ["posting_id"])

    op.execute(
        sa.text(
            "INSERT INTO finance_settings (commission_bp, withdrawals_enabled, withdraw_min_fen, "
            "withdraw_interval_days, agreement) VALUES (500, :on, 500, 1, :agreement)"
        ).bindparams(on=True, agreement=AGREEMENT)
    )
    op.execute(
        "INSERT INTO ledger_accounts (kind, pending_fen, available_fen, review_fen, payout_fen, "
        "withdrawn_fen, payout_method, payout_name, payout_account, payout_bank, created_at) "
        "VALUES ('platform', 0, 0, 0, 0, 0, '', '', '', '', CURRENT_TIMESTAMP)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'ledger rows are append-only: % on %', TG_OP, TG_TABLE_NAME; "
            "END $$"
        )
        for table in ("ledger_postings", "ledger_entries"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("ledger_postings", "ledger_entries"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_postings")
    op.drop_table("withdrawals")
    op.drop_table("ledger_accounts")
    op.drop_table("category_commission_rates")
    op.drop_table("store_commission_rates")
    op.drop_table("finance_settings")
