"""filing comments: deputies' comments and questions on a project's filings, and the department's answers

Revision ID: 0015
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0015'
down_revision = '0001'
branch_labels = ('filing_comments',)
depends_on = '0007'


def upgrade() -> None:
    op.create_table('filingcomment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filing_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.BigInteger(), nullable=True),
    sa.Column('answered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deputy_id'], ['deputy.id'], ),
    sa.ForeignKeyConstraint(['filing_id'], ['filing.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('filingcomment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filingcomment_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_filingcomment_filing_id'), ['filing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_filingcomment_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    op.drop_table('filingcomment')
