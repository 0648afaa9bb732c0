"""Code sends remember the flow that made them: the cooldown between two codes
counts one flow's sends, so a notice one flow sent in a code's place does not
hold back another flow's code.

Sends recorded before keep no flow; they still count toward the hourly and
daily caps, and are forgotten within a day.

Revision ID: 5e2b7c9d1a04
Revises: 064f3ab1546b
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e2b7c9d1a04'
down_revision = '064f3ab1546b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('code_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('code_sends', schema=None) as batch_op:
        batch_op.drop_column('purpose')
