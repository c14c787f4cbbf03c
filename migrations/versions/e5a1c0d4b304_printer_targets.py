"""printer targets: where a store may point its printer, and the last check

Revision ID: e5a1c0d4b304
Revises: e5a1c0d4b303
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "e5a1c0d4b304"
down_revision = "e5a1c0d4b303"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
