"""delivery: what departments file on a voted project (plan, quarterly reports), its review, its followers

Revision ID: 0007
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0007'
down_revision = '0001'
branch_labels = ('delivery',)
depends_on = '0005'


def upgrade() -> None:
    op.create_table('filing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('person_in_charge', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('percent_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('milestones', sa.JSON(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('corrections', sa.Integer(), nullable=False),
    sa.Column('opened_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filed_by', sa.BigInteger(), nullable=True),
    sa.Column('filed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.BigInteger(), nullable=True),
    sa.Column('reviewed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'kind', 'quarter', name='uq_filing_period')
    )
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filing_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_filing_status'), ['status'], unique=False)

    op.create_table('projectfollower',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'user_id', name='uq_projectfollower_once')
    )
    with op.batch_alter_table('projectfollower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projectfollower_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projectfollower_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('projectfollower')
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filing_status'))
        batch_op.drop_index(batch_op.f('ix_filing_project_id'))
    op.drop_table('filing')
