"""pool uploads: a school or reviewer file kept between its preview and its confirmation

Revision ID: c4d6e8f0a2b4
Revises: b3e5c7d9f1a2
Create Date: 2026-11-23 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'c4d6e8f0a2b4'
down_revision = 'b3e5c7d9f1a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pool_uploads",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pool_uploads_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["la_id"], ["local_authorities.id"], name=op.f("fk_pool_uploads_la_id_local_authorities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_uploads")),
    )
    with op.batch_alter_table("pool_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pool_uploads_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pool_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_uploads_user_id"))
    op.drop_table("pool_uploads")
