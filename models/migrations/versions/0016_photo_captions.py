"""photo_captions: a suggestion photo keeps the caption it was sent with

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0016'
down_revision = '0015'
branch_labels = ('photo_captions',)
depends_on = '0002'


def upgrade() -> None:
    with op.batch_alter_table('suggestionphoto', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caption', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('suggestionphoto', schema=None) as batch_op:
        batch_op.drop_column('caption')
