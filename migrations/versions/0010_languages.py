"""Languages: the one each account reads the portal and its mail in, and the
one a code flow was started in (a registration's account is created with it).

Existing accounts keep no language: they read the one their browser asks for.

Revision ID: 9c41d7a2e5b3
Revises: e44b6f4cd5ba
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c41d7a2e5b3'
down_revision = 'e44b6f4cd5ba'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('code_flows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('code_flows', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
