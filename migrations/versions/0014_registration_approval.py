"""Accounts can wait for an admin's approval (`PORTAL_REGISTRATION_APPROVAL=admin`).

Every account made before counts as approved: its column stays empty.

Revision ID: 7c4d2e9a8b31
Revises: 1bb3f3e554fc
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c4d2e9a8b31'
down_revision = '1bb3f3e554fc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_requested_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_users_approval_requested_at', ['approval_requested_at'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_approval_requested_at')
        batch_op.drop_column('approval_requested_at')
