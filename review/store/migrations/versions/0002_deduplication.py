"""Deduplication: the latest clusters and the pairs that explain them.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_clusters",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.record_id"), primary_key=True),
        sa.Column("cluster_id", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(200), nullable=True),
    )
    op.create_index("ix_record_clusters_cluster_id", "record_clusters", ["cluster_id"])
    op.create_table(
        "dedup_pairs",
        sa.Column("pair_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_a", sa.Integer, sa.ForeignKey("records.record_id"), nullable=False),
        sa.Column("record_b", sa.Integer, sa.ForeignKey("records.record_id"), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_dedup_pairs_record_a", "dedup_pairs", ["record_a"])
    op.create_index("ix_dedup_pairs_record_b", "dedup_pairs", ["record_b"])


def downgrade() -> None:
    op.drop_table("dedup_pairs")
    op.drop_table("record_clusters")
