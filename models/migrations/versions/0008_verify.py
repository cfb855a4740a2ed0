"""verify: deputies' site-visit reports on voted projects, the quarterly inspection rounds, the year-end evaluation

Revision ID: 0008
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0008'
down_revision = '0001'
branch_labels = ('verify',)
depends_on = '0005'


def upgrade() -> None:
    op.create_table('sitevisit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=False),
    sa.Column('filed_by', sa.BigInteger(), nullable=True),
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('distance_m', sa.Integer(), nullable=True),
    sa.Column('far', sa.Boolean(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('assessment', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('issues', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.BigInteger(), nullable=True),
    sa.Column('answered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deputy_id'], ['deputy.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sitevisit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sitevisit_assessment'), ['assessment'], unique=False)
        batch_op.create_index(batch_op.f('ix_sitevisit_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sitevisit_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sitevisit_quarter'), ['quarter'], unique=False)

    op.create_table('inspectionround',
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('opened_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded', sa.Integer(), nullable=False),
    sa.Column('duties', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('quarter')
    )
    op.create_table('inspectionduty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['sitevisit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'quarter', name='uq_inspectionduty_quarter')
    )
    with op.batch_alter_table('inspectionduty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspectionduty_project_id'), ['project_id'], unique=False)

    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('residents', sa.Boolean(), nullable=False),
    sa.Column('opened_by', sa.BigInteger(), nullable=True),
    sa.Column('opened_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year')
    )
    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('as_deputy', sa.Boolean(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('evaluation_id', 'project_id', 'user_id', name='uq_rating_once')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_evaluation_id'), ['evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_user_id'))
        batch_op.drop_index(batch_op.f('ix_rating_project_id'))
        batch_op.drop_index(batch_op.f('ix_rating_evaluation_id'))
    op.drop_table('rating')
    op.drop_table('evaluation')
    with op.batch_alter_table('inspectionduty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspectionduty_project_id'))
    op.drop_table('inspectionduty')
    op.drop_table('inspectionround')
    with op.batch_alter_table('sitevisit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sitevisit_quarter'))
        batch_op.drop_index(batch_op.f('ix_sitevisit_project_id'))
        batch_op.drop_index(batch_op.f('ix_sitevisit_deputy_id'))
        batch_op.drop_index(batch_op.f('ix_sitevisit_assessment'))
    op.drop_table('sitevisit')
