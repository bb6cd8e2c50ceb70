"""nightly: a plan version keeps its explained diff

Revision ID: 7c1e4a9b2d31
Revises: 58f2d8e1669a
Create Date: 2026-11-23 03:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1e4a9b2d31'
down_revision = '58f2d8e1669a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diff', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_column('diff')
