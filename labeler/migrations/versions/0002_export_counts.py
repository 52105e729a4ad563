"""export_record.counts: what an export held (records, documents, spans per layer, concepts)

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.drop_column('counts')
