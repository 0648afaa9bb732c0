"""Versioned terms of use: the version each account accepted (and its stated use),
and the terms version and stated use each download was made under.

Existing accounts have accepted no version yet: their next download asks.

Revision ID: b7d2e4f19a03
Revises: 35955fd70cc4
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d2e4f19a03'
down_revision = '35955fd70cc4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_accepted_version', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('stated_use', sa.String(length=20), nullable=True))
    with op.batch_alter_table('downloads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_version', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('stated_use', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('downloads', schema=None) as batch_op:
        batch_op.drop_column('stated_use')
        batch_op.drop_column('terms_version')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('stated_use')
        batch_op.drop_column('terms_accepted_version')
