"""sessions end for good and logins are limited per account

- users.session_version: a session remembers it; logging out, being disabled or losing a role
  moves it on, so an older session cookie is refused. Existing rows start at 0 (their sessions
  from before, which remember no version, end once: the people log in again).

Revision ID: e5a1c0d4b301
Revises: d3a8c51e9f02
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1c0d4b301"
down_revision = "d3a8c51e9f02"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
