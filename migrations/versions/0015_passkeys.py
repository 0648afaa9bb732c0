"""Passkeys: WebAuthn credentials beside the password, and the single-use challenges handed out for them.

Revision ID: 7d3c1a9e4b20
Revises: 7c4d2e9a8b31
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from portal.models import UTCDateTime

# revision identifiers, used by Alembic.
revision = '7d3c1a9e4b20'
down_revision = '7c4d2e9a8b31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'passkeys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('credential_id', sa.String(length=1400), nullable=False),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('sign_count', sa.Integer(), nullable=False),
        sa.Column('transports', sa.String(length=200), nullable=False),
        sa.Column('is_backup_eligible', sa.Boolean(), nullable=False),
        sa.Column('is_backed_up', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('credential_id'),
    )
    op.create_index('ix_passkeys_user_id', 'passkeys', ['user_id'])
    op.create_table(
        'passkey_challenges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('challenge', sa.String(length=100), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('challenge'),
    )
    op.create_index('ix_passkey_challenges_expires_at', 'passkey_challenges', ['expires_at'])


def downgrade():
    op.drop_index('ix_passkey_challenges_expires_at', table_name='passkey_challenges')
    op.drop_table('passkey_challenges')
    op.drop_index('ix_passkeys_user_id', table_name='passkeys')
    op.drop_table('passkeys')
