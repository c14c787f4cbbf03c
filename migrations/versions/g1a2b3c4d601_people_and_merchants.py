"""people and merchants: SMS codes, address parts and coordinates, member profiles and levels,
store profiles, applications, the store timeline, and the platform's merchant and catalog settings

Revision ID: g1a2b3c4d601
Revises: f1a2b3c4d501
Create Date: 2026-11-30 17:27:45.720855

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "g1a2b3c4d601"
down_revision = "f1a2b3c4d501"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalog_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outsider_prices", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_settings")),
    )
    op.create_table(
        "member_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_levels")),
        sa.UniqueConstraint("name", name=op.f("uq_member_levels_name")),
    )
    op.create_table(
        "merchant_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("multi_merchant", sa.Boolean(), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("field_rules", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant_settings")),
    )
    op.create_table(
        "sms_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("wrong_tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_codes")),
    )
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sms_codes_phone_purpose_created", ["phone", "purpose", "created_at"], unique=False
        )

    op.create_table(
        "store_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("licence_key", sa.String(length=255), nullable=True),
        sa.Column("agreement_accepted_at", sa.DateTime(), nullable=False),
        sa.Column("reject_reason", sa.String(length=200), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_store_applications_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_store_applications_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_store_applications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_applications")),
    )
    with op.batch_alter_table("store_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_store_applications_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "store_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_value", sa.String(length=30), nullable=False),
        sa.Column("to_value", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_store_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_store_events_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_events")),
    )
    with op.batch_alter_table("store_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_events_store_id"), ["store_id"], unique=False)

    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("province", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("city", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("district", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("detail", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("lat", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lng", sa.Double(), nullable=True))

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("contact_name", sa.String(length=50), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("contact_phone", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("address", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("shop_photo_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("licence_photo_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reject_reason", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_members_level_id_member_levels"), "member_levels", ["level_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_members_reviewed_by_users"), "users", ["reviewed_by"], ["id"]
        )

    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retail_price_fen", sa.Integer(), nullable=True))

    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("images", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("opens_at", sa.String(length=5), nullable=False, server_default="00:00")
        )
        batch_op.add_column(
            sa.Column("closes_at", sa.String(length=5), nullable=False, server_default="24:00")
        )
        batch_op.add_column(
            sa.Column("avg_spend_fen", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("lat", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lng", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("service_phone", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("service_wechat", sa.String(length=50), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("announcement", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("return_address", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("after_sales_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=False, server_default="5"))
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_stores_owner_id_users"), "users", ["owner_id"], ["id"]
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_code", sa.String(length=16), nullable=True))
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=255), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_users_referral_code"), ["referral_code"])

    bind = op.get_bind()
    levels = sa.table("member_levels", sa.column("id"), sa.column("name"), sa.column("rank"))
    op.bulk_insert(
        levels,
        [
            {"id": 1, "name": "普通会员", "rank": 1},
            {"id": 2, "name": "银牌会员", "rank": 2},
            {"id": 3, "name": "金牌会员", "rank": 3},
        ],
    )
    # members approved before levels existed buy at the first level
    bind.execute(sa.text("UPDATE members SET level_id = 1 WHERE status = 'approved'"))
    # an address written before had one line: it becomes the detail
    bind.execute(sa.text("UPDATE addresses SET detail = text"))
    merchant = sa.table(
        "merchant_settings",
        sa.column("id"),
        sa.column("multi_merchant"),
        sa.column("approval_required"),
        sa.column("agreement"),
        sa.column("field_rules", sa.JSON()),
    )
    op.bulk_insert(
        merchant,
        [
            {
                "id": 1,
                "multi_merchant": True,
                "approval_required": True,
                "agreement": AGREEMENT,
                "field_rules": FIELD_RULES,
            }
        ],
    )
    catalog = sa.table("catalog_settings", sa.column("id"), sa.column("outsider_prices"))
    op.bulk_insert(catalog, [{"id": 1, "outsider_prices": "none"}])
    if bind.dialect.name == "postgresql":  # the rows above took ids the sequences did not count
        bind.execute(sa.text("SELECT setval('member_levels_id_seq', 3)"))


AGREEMENT = (
    "商家入驻协议\n"
    "一、商家应保证所提交的资料真实、有效，并对其经营的商品质量负责。\n"
    "二、商家应遵守平台的经营规范，按时发货，妥善处理售后。\n"
    "三、平台按约定收取佣金，并按结算规则为商家结算货款。\n"
    "四、商家违反本协议的，平台有权限制或关闭其店铺。"
)
FIELD_RULES = {
    "shop_name": "required",
    "category": "required",
    "kind": "required",
    "contact": "required",
    "phone": "required",
    "address": "required",
    "licence": "required",
    "intro": "optional",
}


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_referral_code"), type_="unique")
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=255), nullable=False)
        batch_op.drop_column("referral_code")

    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_stores_owner_id_users"), type_="foreignkey")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("owner_id")
        batch_op.drop_column("rating")
        batch_op.drop_column("after_sales_enabled")
        batch_op.drop_column("return_address")
        batch_op.drop_column("announcement")
        batch_op.drop_column("service_wechat")
        batch_op.drop_column("service_phone")
        batch_op.drop_column("lng")
        batch_op.drop_column("lat")
        batch_op.drop_column("avg_spend_fen")
        batch_op.drop_column("closes_at")
        batch_op.drop_column("opens_at")
        batch_op.drop_column("images")
        batch_op.drop_column("logo_key")

    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.drop_column("retail_price_fen")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_members_reviewed_by_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_members_level_id_member_levels"), type_="foreignkey"
        )
        batch_op.drop_column("reject_reason")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("licence_photo_key")
        batch_op.drop_column("shop_photo_key")
        batch_op.drop_column("address")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_name")
        batch_op.drop_column("level_id")

    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_column("lng")
        batch_op.drop_column("lat")
        batch_op.drop_column("detail")
        batch_op.drop_column("district")
        batch_op.drop_column("city")
        batch_op.drop_column("province")

    with op.batch_alter_table("store_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_events_store_id"))

    op.drop_table("store_events")
    with op.batch_alter_table("store_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_applications_user_id"))

    op.drop_table("store_applications")
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_codes_phone_purpose_created")

    op.drop_table("sms_codes")
    op.drop_table("merchant_settings")
    op.drop_table("member_levels")
    op.drop_table("catalog_settings")
