"""Programme models (scenario v1.1): a cycle's model and v1.1 settings, a review's own visit
length, offered dates and follow-up, and the groups of earlier rounds.

Revision ID: f2b4d6a8c0e1
Revises: e8a1c3b5d7f9
Create Date: 2026-12-02 10:00:00

Every existing cycle is a v1 teams cycle: scenario_version "1", no programme settings.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b4d6a8c0e1'
down_revision = 'e8a1c3b5d7f9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scenario_version', sa.String(length=4), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('programme', sa.JSON(), nullable=True))

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offered_dates', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('follow_up', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        'group_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('cycles_ago', sa.Integer(), nullable=False),
        sa.Column('schools', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('group_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_history_cycle_id'), ['cycle_id'], unique=False)


def downgrade():
    with op.batch_alter_table('group_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_history_cycle_id'))
    op.drop_table('group_history')

    # Plain ALTER TABLE ... DROP COLUMN (SQLite has it since 3.35), not batch mode: on SQLite a
    # batch copies and drops the table, and dropping `cycles` would cascade to its plans.
    for table, column in (('reviews', 'follow_up'), ('reviews', 'offered_dates'), ('reviews', 'visit_days'),
                          ('cycles', 'programme'), ('cycles', 'scenario_version')):
        op.drop_column(table, column)
