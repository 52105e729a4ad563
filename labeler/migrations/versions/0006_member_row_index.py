"""member_row_index: drop alignment_member's index on row_id alone; its unique (row_id, segment_id) finds the same

Every member written (a big import writes hundreds of thousands) updated both; queries and cascades by row_id use
the unique index's first column.

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('alignment_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alignment_member_row_id'))


def downgrade() -> None:
    with op.batch_alter_table('alignment_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alignment_member_row_id'), ['row_id'], unique=False)
