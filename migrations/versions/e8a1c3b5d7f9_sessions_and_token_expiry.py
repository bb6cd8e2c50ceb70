"""Security: a session generation per user, an expiry per API token.

Revision ID: e8a1c3b5d7f9
Revises: c5e7a9b1d3f4
Create Date: 2026-12-01 10:00:00

Tokens issued before this revision expire 90 days after they were made (the default
TOKEN_LIFETIME_DAYS), not never.
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8a1c3b5d7f9'
down_revision = 'c5e7a9b1d3f4'
branch_labels = None
depends_on = None

EXISTING_TOKENS_DAYS = 90


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))

    tokens = sa.table('tokens', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime()),
                      sa.column('expires_at', sa.DateTime()))
    conn = op.get_bind()
    for token_id, created in conn.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        conn.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(expires_at=created + dt.timedelta(days=EXISTING_TOKENS_DAYS)))


def downgrade():
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
