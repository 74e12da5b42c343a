"""A cache of the records' sentence embeddings for the AI order (`record_embeddings`): derived
data, not review state, so no event and nothing for `review verify` to replay.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_embeddings",
        sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("model", sa.String(100), primary_key=True),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_embeddings")
