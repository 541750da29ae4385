"""service access: API tokens, browser sessions, principal ids on review transitions

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from breakglass.store._types import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=255), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_by', sa.String(length=255), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_sha256'),
    )
    op.create_index('ix_api_tokens_tenant_id', 'api_tokens', ['tenant_id'], unique=False)
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant_id', sa.String(length=36), nullable=False),
        sa.Column('session_sha256', sa.String(length=64), nullable=False),
        sa.Column('principal_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('username', sa.String(length=255), nullable=True),
        sa.Column('roles', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_sha256'),
    )
    op.create_index('ix_web_sessions_tenant_id', 'web_sessions', ['tenant_id'], unique=False)
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_by_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('approved_by_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.String(length=64), nullable=True))
    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.drop_column('actor_id')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('approved_by_id')
        batch_op.drop_column('submitted_by_id')
    op.drop_index('ix_web_sessions_tenant_id', table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_index('ix_api_tokens_tenant_id', table_name='api_tokens')
    op.drop_table('api_tokens')
