"""Probed media: each file's facts, poster stills and previews; sizes past 2 GiB.

Revision ID: 5d1f0c7a9b24
Revises: ac0a33e67ba6
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d1f0c7a9b24'
down_revision = 'ac0a33e67ba6'
branch_labels = None
depends_on = None

BIG_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def facts():
    return [
        sa.Column('container', sa.String(length=40), nullable=True),
        sa.Column('video_codec', sa.String(length=40), nullable=True),
        sa.Column('video_profile', sa.String(length=60), nullable=True),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('frame_rate', sa.String(length=20), nullable=True),
        sa.Column('scan_type', sa.String(length=20), nullable=True),
        sa.Column('bit_rate', BIG_INT, nullable=True),
        sa.Column('duration', sa.Double(), nullable=True),
        sa.Column('audio_codec', sa.String(length=40), nullable=True),
        sa.Column('audio_channels', sa.Integer(), nullable=True),
        sa.Column('audio_sample_rate', sa.Integer(), nullable=True),
    ]


def upgrade():
    op.create_table('video_stills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('stored_path', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stored_path')
    )
    with op.batch_alter_table('video_stills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_video_stills_video_id'), ['video_id'], unique=False)
    # Added columns only: SQLite takes them in place, without copying the table.
    with op.batch_alter_table('videos', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('preview', sa.String(length=300), nullable=True))
    with op.batch_alter_table('renditions', schema=None, recreate='never') as batch_op:
        for column in facts():
            batch_op.add_column(column)
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('renditions', 'size', type_=sa.BigInteger(), existing_type=sa.Integer(),
                        existing_nullable=False)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('renditions', 'size', type_=sa.Integer(), existing_type=sa.BigInteger(),
                        existing_nullable=False)
    with op.batch_alter_table('renditions', schema=None) as batch_op:
        for column in reversed(facts()):
            batch_op.drop_column(column.name)
    with op.batch_alter_table('videos', schema=None) as batch_op:
        batch_op.drop_column('preview')
    with op.batch_alter_table('video_stills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_stills_video_id'))
    op.drop_table('video_stills')
