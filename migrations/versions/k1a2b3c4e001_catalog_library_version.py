"""catalog_settings.library_version: a stamp renewed by every change of a category or brand, so
each process may keep the storefront's category tree and brand list and still see an edit on the
very next request

Revision ID: k1a2b3c4e001
Revises: j1a2b3c4d903
Create Date: 2026-12-02 09:00:00

"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "k1a2b3c4e001"
down_revision = "j1a2b3c4d903"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("catalog_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("library_version", sa.String(length=32), nullable=True))
    settings = sa.table("catalog_settings", sa.column("library_version"))
    op.execute(settings.update().values(library_version=uuid.uuid4().hex))


def downgrade():
    with op.batch_alter_table("catalog_settings", schema=None) as batch_op:
        batch_op.drop_column("library_version")
