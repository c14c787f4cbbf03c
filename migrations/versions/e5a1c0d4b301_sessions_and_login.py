"""sessions end for good and logins are limited per account

Revision ID: e5a1c0d4b301
Revises: d3a8c51e9f02
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "e5a1c0d4b301"
down_revision = "d3a8c51e9f02"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
