"""contact_phone: what the congress office promises once a letter is overdue, the resident's rating of
an answer, a meeting's place and its further states (moved, held, cancelled hold their slot while moved)

Revision ID: 0013
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0013'
down_revision = '0001'
branch_labels = ('contact_phone',)
depends_on = '0003'

HELD_BEFORE = sa.text("slot_id IS NOT NULL AND status IN ('open', 'answered', 'accepted')")
HELD = sa.text("slot_id IS NOT NULL AND status IN ('open', 'answered', 'accepted', 'moved')")


def upgrade() -> None:
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('meeting_place', sqlmodel.sql.sqltypes.AutoString(length=120),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('rating_comment', sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('rated_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_index('uq_inquiry_held_slot')
        batch_op.create_index('uq_inquiry_held_slot', ['slot_id'], unique=True,
                              sqlite_where=HELD, postgresql_where=HELD)


def downgrade() -> None:
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.drop_index('uq_inquiry_held_slot')
        batch_op.create_index('uq_inquiry_held_slot', ['slot_id'], unique=True,
                              sqlite_where=HELD_BEFORE, postgresql_where=HELD_BEFORE)
        for column in ('rated_at', 'rating_comment', 'rating', 'meeting_place', 'office_due_on'):
            batch_op.drop_column(column)
