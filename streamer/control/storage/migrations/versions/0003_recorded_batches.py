"""The ids of the recorder's batches already written, so a retried batch is never written twice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recorded_batches',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recorded_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recorded_batches_written_at'), ['written_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recorded_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recorded_batches_written_at'))

    op.drop_table('recorded_batches')
