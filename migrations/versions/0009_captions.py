"""Captions: a video's WebVTT file and its language.

Revision ID: e44b6f4cd5ba
Revises: 0b8e5d2c4f17
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e44b6f4cd5ba'
down_revision = '0b8e5d2c4f17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('videos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('captions', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('captions_lang', sa.String(length=35), nullable=True))


def downgrade():
    with op.batch_alter_table('videos', schema=None) as batch_op:
        batch_op.drop_column('captions_lang')
        batch_op.drop_column('captions')
