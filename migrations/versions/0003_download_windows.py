"""Download windows: a resumed or ranged download counts once.

Revision ID: ac0a33e67ba6
Revises: c7e237f79dc3
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

import portal.models  # noqa: F401  (UTCDateTime)

# revision identifiers, used by Alembic.
revision = 'ac0a33e67ba6'
down_revision = 'c7e237f79dc3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('download_windows',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rendition_id', sa.Integer(), nullable=False),
    sa.Column('counted_at', portal.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rendition_id'], ['renditions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'rendition_id')
    )


def downgrade():
    op.drop_table('download_windows')
