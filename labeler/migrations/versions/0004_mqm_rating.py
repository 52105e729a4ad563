"""mqm_rating: which rater rated which segment (WMT MQM imports), errors or not

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'mqm_rating',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], name=op.f('fk_mqm_rating_segment_id_segment'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['account.id'], name=op.f('fk_mqm_rating_user_id_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mqm_rating')),
        sa.UniqueConstraint('segment_id', 'user_id', name=op.f('uq_mqm_rating_segment_id')),
    )


def downgrade() -> None:
    op.drop_table('mqm_rating')
