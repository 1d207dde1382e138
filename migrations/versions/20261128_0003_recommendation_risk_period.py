"""recommendations: the person's low-rating risk and the quarter the plan was made from

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendations") as batch:
        batch.add_column(sa.Column("risk_low", sa.Float(), nullable=True))
        batch.add_column(sa.Column("period", sa.String(length=7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recommendations") as batch:
        batch.drop_column("period")
        batch.drop_column("risk_low")
