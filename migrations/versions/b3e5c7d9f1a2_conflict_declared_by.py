"""conflicts: who declared them (a headteacher withdraws only their own)

Revision ID: b3e5c7d9f1a2
Revises: 7c1e4a9b2d31
Create Date: 2026-11-23 04:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e5c7d9f1a2'
down_revision = '7c1e4a9b2d31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declared_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_conflicts_declared_by_id_users', 'users', ['declared_by_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_conflicts_declared_by_id_users', type_='foreignkey')
        batch_op.drop_column('declared_by_id')
