"""continued_members: a paragraph may belong to several alignment rows (it begins in one, continues in others)

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('alignment_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('continued', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint('uq_alignment_member_segment_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_alignment_member_row_id_segment_id'),
                                          ['row_id', 'segment_id'])
        batch_op.create_index(batch_op.f('ix_alignment_member_segment_id'), ['segment_id'], unique=False)
        batch_op.create_index('uq_alignment_member_segment_id_begins', ['segment_id'], unique=True,
                              sqlite_where=sa.text('NOT continued'), postgresql_where=sa.text('NOT continued'))


def downgrade() -> None:
    op.execute("DELETE FROM alignment_member WHERE continued")
    with op.batch_alter_table('alignment_member', schema=None) as batch_op:
        batch_op.drop_index('uq_alignment_member_segment_id_begins')
        batch_op.drop_index(batch_op.f('ix_alignment_member_segment_id'))
        batch_op.drop_constraint(batch_op.f('uq_alignment_member_row_id_segment_id'), type_='unique')
        batch_op.create_unique_constraint('uq_alignment_member_segment_id', ['segment_id'])
        batch_op.drop_column('continued')
