"""Admins' TOTP keys encrypted at rest: `second_factors.secret` (base32) becomes
`encrypted_secret`, a Fernet token under TOTP_ENCRYPTION_KEY (by default
`instance/totp_encryption_key`), so a copy of the database alone gives no second factor.

The downgrade decrypts them again (with that key or one of its fallbacks).

Revision ID: 064f3ab1546b
Revises: 9c41d7a2e5b3
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app

# revision identifiers, used by Alembic.
revision = '064f3ab1546b'
down_revision = '9c41d7a2e5b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('second_factors', schema=None) as batch_op:
        batch_op.alter_column('secret', new_column_name='encrypted_secret', existing_type=sa.String(length=64),
                              type_=sa.String(length=200), existing_nullable=False)
    ciphers = _ciphers()
    _rewrite('encrypted_secret', lambda plain: ciphers.encrypt(plain.encode()).decode('ascii'))


def downgrade():
    ciphers = _ciphers()
    _rewrite('encrypted_secret', lambda encrypted: ciphers.decrypt(encrypted.encode()).decode())
    with op.batch_alter_table('second_factors', schema=None) as batch_op:
        batch_op.alter_column('encrypted_secret', new_column_name='secret', existing_type=sa.String(length=200),
                              type_=sa.String(length=64), existing_nullable=False)


def _ciphers() -> MultiFernet:
    """The portal's keys as this migration found them (the running code may change its own later)."""
    config = current_app.config
    keys = [config['TOTP_ENCRYPTION_KEY'], *config['TOTP_ENCRYPTION_KEY_FALLBACKS']]
    return MultiFernet([Fernet(key) for key in keys])


def _rewrite(column: str, change) -> None:
    """Replace every stored key with `change(key)`."""
    second_factors = sa.table('second_factors', sa.column('user_id', sa.Integer), sa.column(column, sa.String))
    connection = op.get_bind()
    for user_id, value in connection.execute(sa.select(second_factors.c.user_id, second_factors.c[column])).all():
        connection.execute(second_factors.update().where(second_factors.c.user_id == user_id)
                           .values({column: change(value)}))
