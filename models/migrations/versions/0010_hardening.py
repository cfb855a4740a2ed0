"""hardening: deadline stages skipped after downtime, one partial index per waiting stage and one for open
deadlines by due time; whose data a
notification carries; webhook updates already taken

Revision ID: 0010
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0010'
down_revision = '0001'
branch_labels = ('hardening',)
depends_on = None

STAGES = (("remind", "remind_at", "reminded_at"), ("due_day", "due_day_at", "due_day_reminded_at"),
          ("escalate", "escalate_at", "escalated_at"))


def upgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped_stages', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=False, server_default=''))
        for column in ('remind_at', 'due_day_at', 'escalate_at', 'closed_at'):
            batch_op.drop_index(batch_op.f(f'ix_deadline_{column}'))
    op.create_index('ix_deadline_open_due', 'deadline', ['due_at'], unique=False,
                    sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL"))
    for name, stage_at, done in STAGES:
        # escalate_at is NOT NULL: a partial index testing it for NOT NULL is one SQLite will not use
        where = sa.text(f"{done} IS NULL AND closed_at IS NULL"
                        + (f" AND {stage_at} IS NOT NULL" if stage_at != "escalate_at" else ""))
        op.create_index(f'ix_deadline_{name}_waiting', 'deadline', [stage_at], unique=False,
                        sqlite_where=where, postgresql_where=where)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('concerns_user_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_concerns_user_id'), ['concerns_user_id'], unique=False)
    op.create_table('processedupdate',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id')
    )
    with op.batch_alter_table('processedupdate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processedupdate_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_table('processedupdate')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_concerns_user_id'))
        batch_op.drop_column('concerns_user_id')
    for name, _stage_at, _done in STAGES:
        op.drop_index(f'ix_deadline_{name}_waiting', table_name='deadline')
    op.drop_index('ix_deadline_open_due', table_name='deadline')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        for column in ('remind_at', 'due_day_at', 'escalate_at', 'closed_at'):
            batch_op.create_index(batch_op.f(f'ix_deadline_{column}'), [column], unique=False)
        batch_op.drop_column('skipped_stages')
