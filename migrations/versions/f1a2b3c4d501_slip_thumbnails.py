"""slip photos are stored with a 320 px thumbnail next to them

Revision ID: f1a2b3c4d501
Revises: e5a1c0d4b305
Create Date: 2026-11-30 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f1a2b3c4d501"
down_revision = "e5a1c0d4b305"
branch_labels = None
depends_on = None


def upgrade():
    # Photos stored before have no thumbnail (NULL): pages show them at full size.
    with op.batch_alter_table("slip_photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thumb_bytes", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("slip_photos", schema=None) as batch_op:
        batch_op.drop_column("thumb_bytes")
