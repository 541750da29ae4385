"""review record (actions, root cause, follow-ups), evidence window, late sign-in rows

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from breakglass.store._types import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actions_taken', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('root_cause', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('follow_ups', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('evidence_start', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('evidence_end', UTCDateTime(), nullable=True))
    with op.batch_alter_table('poll_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deep_read_at', UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('late_rows', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('poll_state', schema=None) as batch_op:
        batch_op.drop_column('late_rows')
        batch_op.drop_column('deep_read_at')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('evidence_end')
        batch_op.drop_column('evidence_start')
        batch_op.drop_column('follow_ups')
        batch_op.drop_column('root_cause')
        batch_op.drop_column('actions_taken')
