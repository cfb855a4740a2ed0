"""suggestions: residents' suggestions, photos, history, support; candidate pool; reason templates

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0002'
down_revision = '0001'
branch_labels = ('suggest',)
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
Timestamp = models.base.UTCDateTime


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def upgrade() -> None:
    op.create_table('reasontemplate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', String(length=32), nullable=True),
    sa.Column('text', String(length=500), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', Timestamp(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', String(length=120), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('estimated_cost', sa.BigInteger(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('status', String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', Timestamp(timezone=True), nullable=False),
    sa.Column('updated_at', Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    _index('candidate', 'status')
    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', String(length=24), nullable=True),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('source', String(length=16), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=True),
    sa.Column('raised_by', sa.Integer(), nullable=False),
    sa.Column('category', String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('place_text', String(length=200), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('status', String(length=16), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('share_code', String(length=32), nullable=False),
    sa.Column('created_at', Timestamp(timezone=True), nullable=False),
    sa.Column('updated_at', Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], ),
    sa.ForeignKeyConstraint(['deputy_id'], ['deputy.id'], ),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('share_code')
    )
    _index('suggestion', 'author_id', 'candidate_id', 'category', 'created_at', 'deputy_id', 'station_id', 'status')
    op.create_table('inforequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('asked_by', sa.BigInteger(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', Timestamp(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index('inforequest', 'suggestion_id')
    op.create_table('suggestionevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('at', Timestamp(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', String(length=16), nullable=False),
    sa.Column('status', String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_is_msgid', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index('suggestionevent', 'suggestion_id')
    op.create_table('suggestionphoto',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_id', String(length=255), nullable=False),
    sa.Column('file_unique_id', String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index('suggestionphoto', 'suggestion_id')
    op.create_table('support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', Timestamp(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('suggestion_id', 'user_id', name='uq_support_once')
    )
    _index('support', 'suggestion_id', 'user_id')


def downgrade() -> None:
    for table in ('support', 'suggestionphoto', 'suggestionevent', 'inforequest', 'suggestion', 'candidate',
                  'reasontemplate'):
        op.drop_table(table)
