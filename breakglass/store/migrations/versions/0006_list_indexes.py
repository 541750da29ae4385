"""indexes for the API's lists: sign-ins by review, a run's findings in their order

Revision ID: 0006
Revises: 0005

Every page of the review queue reads its reviews' sign-in ids with ``tenant_id = ? AND
review_id IN (...)``. SQLite keeps no statistics (the product never runs ANALYZE), so
with one index per column it walked the tenant's whole ``tenant_id`` index; the
composite index answers the query directly on both backends.

A page of ``/api/v1/findings`` orders the latest run's findings by status, severity and
check id; the second index holds those columns, so the sort reads no table rows.
"""

from __future__ import annotations

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_signins_tenant_review', 'signins', ['tenant_id', 'review_id'], unique=False
    )
    op.create_index(
        'ix_findings_run_order',
        'findings',
        ['run_id', 'status', 'severity', 'check_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_findings_run_order', table_name='findings')
    op.drop_index('ix_signins_tenant_review', table_name='signins')
