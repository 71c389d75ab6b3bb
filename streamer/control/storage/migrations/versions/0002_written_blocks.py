"""Script blocks a model wrote for a stream, keyed by product and facts hash.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('written_blocks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('stream_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=100), nullable=False),
    sa.Column('facts', sa.String(length=64), nullable=False),
    sa.Column('segments', sa.JSON(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['stream_id'], ['streams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('written_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_written_blocks_stream_id'), ['stream_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('written_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_written_blocks_stream_id'))

    op.drop_table('written_blocks')
