"""catalog: the platform's library (categories, tags, brands, parameters, specs, units), product
details, audit and listing, SKU codes and level prices, stock movements, the product trail, reviews;
search text with a pg_trgm index on PostgreSQL

Revision ID: h1a2b3c4d701
Revises: g1a2b3c4d601
Create Date: 2026-11-30 18:22:00.833559

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h1a2b3c4d701"
down_revision = "g1a2b3c4d601"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("logo_key", sa.String(length=255), nullable=True),
        sa.Column("intro", sa.String(length=500), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("name", name=op.f("uq_brands_name")),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("icon_key", sa.String(length=255), nullable=True),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["categories.id"], name=op.f("fk_categories_parent_id_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
    )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_categories_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "spec_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spec_names")),
        sa.UniqueConstraint("name", name=op.f("uq_spec_names_name")),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=10), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("name", name=op.f("uq_units_name")),
    )
    op.create_table(
        "category_params",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_params_category_id_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_params")),
        sa.UniqueConstraint("category_id", "name", name=op.f("uq_category_params_category_id")),
    )
    with op.batch_alter_table("category_params", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_category_params_category_id"), ["category_id"], unique=False
        )

    op.create_table(
        "spec_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spec_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=30), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["spec_id"], ["spec_names.id"], name=op.f("fk_spec_values_spec_id_spec_names")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spec_values")),
        sa.UniqueConstraint("spec_id", "value", name=op.f("uq_spec_values_spec_id")),
    )
    with op.batch_alter_table("spec_values", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spec_values_spec_id"), ["spec_id"], unique=False)

    op.create_table(
        "product_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=50), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_product_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_events_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_events")),
    )
    with op.batch_alter_table("product_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_events_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "product_tags",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_tags_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_product_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("product_id", "tag_id", name=op.f("pk_product_tags")),
    )
    op.create_table(
        "sku_level_prices",
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["member_levels.id"],
            name=op.f("fk_sku_level_prices_level_id_member_levels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_sku_level_prices_sku_id_skus"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sku_id", "level_id", name=op.f("pk_sku_level_prices")),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=50), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("before", sa.Integer(), nullable=False),
        sa.Column("after", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_stock_movements_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_stock_movements_sku_id_skus")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_movements_sku_id"), ["sku_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("reply", sa.String(length=500), nullable=False),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], name=op.f("fk_reviews_buyer_id_users")),
        sa.ForeignKeyConstraint(
            ["deleted_by"], ["users.id"], name=op.f("fk_reviews_deleted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_reviews_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"], ["order_items.id"], name=op.f("fk_reviews_order_item_id_order_items")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_reviews_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_reviews_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("order_item_id", name=op.f("uq_reviews_order_item_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_store_id"), ["store_id"], unique=False)

    with op.batch_alter_table("catalog_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("product_audit", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("model", sa.String(length=50), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("specification", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("category_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("brand_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("images", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "audit_status", sa.String(length=10), nullable=False, server_default="approved"
            )
        )
        batch_op.add_column(
            sa.Column("audit_reason", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "listing_choice", sa.String(length=20), nullable=False, server_default="on_approval"
            )
        )
        batch_op.add_column(sa.Column("list_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("pending_changes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("pinned_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sales_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "created_at",
                sa.DateTime(),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.create_index(batch_op.f("ix_products_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_category_id"), ["category_id"], unique=False)
        batch_op.create_index(
            "uq_products_store_item_no",
            ["store_id", "item_no"],
            unique=True,
            postgresql_where=sa.text("item_no <> ''"),
            sqlite_where=sa.text("item_no <> ''"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_products_brand_id_brands"), "brands", ["brand_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_products_category_id_categories"), "categories", ["category_id"], ["id"]
        )

    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("spec_values", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(
            sa.Column("code", sa.String(length=50), nullable=False, server_default="")
        )

    bind = op.get_bind()
    bind.execute(sa.text("UPDATE products SET search_text = lower(name || ' ' || item_no)"))
    if bind.dialect.name == "postgresql":
        # substring search (椰子 finds 椰子汁) served by trigrams
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_products_search_trgm ON products USING gin (search_text gin_trgm_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_search_trgm")
    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.drop_column("code")
        batch_op.drop_column("spec_values")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_products_category_id_categories"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_products_brand_id_brands"), type_="foreignkey")
        batch_op.drop_index(
            "uq_products_store_item_no",
            postgresql_where=sa.text("item_no <> ''"),
            sqlite_where=sa.text("item_no <> ''"),
        )
        batch_op.drop_index(batch_op.f("ix_products_category_id"))
        batch_op.drop_index(batch_op.f("ix_products_brand_id"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("search_text")
        batch_op.drop_column("sales_count")
        batch_op.drop_column("pinned_at")
        batch_op.drop_column("pending_changes")
        batch_op.drop_column("list_at")
        batch_op.drop_column("listing_choice")
        batch_op.drop_column("audit_reason")
        batch_op.drop_column("audit_status")
        batch_op.drop_column("description")
        batch_op.drop_column("params")
        batch_op.drop_column("images")
        batch_op.drop_column("brand_id")
        batch_op.drop_column("category_id")
        batch_op.drop_column("specification")
        batch_op.drop_column("model")

    with op.batch_alter_table("catalog_settings", schema=None) as batch_op:
        batch_op.drop_column("product_audit")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_store_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_product_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_order_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_buyer_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movements_sku_id"))

    op.drop_table("stock_movements")
    op.drop_table("sku_level_prices")
    op.drop_table("product_tags")
    with op.batch_alter_table("product_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_events_product_id"))

    op.drop_table("product_events")
    with op.batch_alter_table("spec_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spec_values_spec_id"))

    op.drop_table("spec_values")
    with op.batch_alter_table("category_params", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_params_category_id"))

    op.drop_table("category_params")
    op.drop_table("units")
    op.drop_table("tags")
    op.drop_table("spec_names")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_categories_parent_id"))

    op.drop_table("categories")
    op.drop_table("brands")
