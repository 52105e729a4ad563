"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 05:27:49.156228
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.Text(), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('api_token_hash', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'reviewer', 'annotator')", name=op.f('ck_account_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('api_token_hash', name=op.f('uq_account_api_token_hash')),
    sa.UniqueConstraint('username', name=op.f('uq_account_username'))
    )
    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('slug', sa.Text(), nullable=False),
    sa.Column('label_schema', sa.JSON(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('name', name=op.f('uq_project_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_project_slug'))
    )
    op.create_table('concept',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kb_id', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('entity', 'claim')", name=op.f('ck_concept_kind')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_concept_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concept'))
    )
    with op.batch_alter_table('concept', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concept_project_id_kind_name'), ['project_id', 'kind', 'name'], unique=False)

    op.create_table('doc_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_doc_group_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doc_group')),
    sa.UniqueConstraint('project_id', 'key', name=op.f('uq_doc_group_project_id_key'))
    )
    op.create_table('export_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('format', sa.Text(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.Text(), nullable=False),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_export_record_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['account.id'], name=op.f('fk_export_record_user_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_record'))
    )
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_record_project_id'), ['project_id'], unique=False)

    op.create_table('alignment_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.CheckConstraint("method IN ('auto-parallel', 'auto-comparable', 'manual')", name=op.f('ck_alignment_row_method')),
    sa.CheckConstraint("status IN ('suggested', 'confirmed')", name=op.f('ck_alignment_row_status')),
    sa.ForeignKeyConstraint(['group_id'], ['doc_group.id'], name=op.f('fk_alignment_row_group_id_doc_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alignment_row')),
    sa.UniqueConstraint('group_id', 'position', name=op.f('uq_alignment_row_group_id_position'))
    )
    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('todo', 'in_progress', 'submitted')", name=op.f('ck_assignment_status')),
    sa.ForeignKeyConstraint(['group_id'], ['doc_group.id'], name=op.f('fk_assignment_group_id_doc_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['account.id'], name=op.f('fk_assignment_user_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('user_id', 'group_id', name=op.f('uq_assignment_user_id_group_id'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_group_id'), ['group_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('lang', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_sha256', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('superseded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('source', 'translation', 'comparable')", name=op.f('ck_document_role')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_document_version')),
    sa.ForeignKeyConstraint(['group_id'], ['doc_group.id'], name=op.f('fk_document_group_id_doc_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('group_id', 'origin', 'version', name=op.f('uq_document_group_id_origin_version'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_group_id_position'), ['group_id', 'position'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('object_type', sa.Text(), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('undone', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['doc_group.id'], name=op.f('fk_event_group_id_doc_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['account.id'], name=op.f('fk_event_user_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_group_id_id'), ['group_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_user_id_id'), ['user_id', 'id'], unique=False)

    op.create_table('segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('char_start', sa.Integer(), nullable=False),
    sa.Column('char_end', sa.Integer(), nullable=False),
    sa.CheckConstraint('char_start >= 0 AND char_start < char_end', name=op.f('ck_segment_span')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_segment_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segment')),
    sa.UniqueConstraint('document_id', 'position', name=op.f('uq_segment_document_id_position'))
    )
    op.create_table('alignment_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['row_id'], ['alignment_row.id'], name=op.f('fk_alignment_member_row_id_alignment_row'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], name=op.f('fk_alignment_member_segment_id_segment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alignment_member')),
    sa.UniqueConstraint('segment_id', name=op.f('uq_alignment_member_segment_id'))
    )
    with op.batch_alter_table('alignment_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alignment_member_row_id'), ['row_id'], unique=False)

    op.create_table('annotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('char_start', sa.Integer(), nullable=False),
    sa.Column('char_end', sa.Integer(), nullable=False),
    sa.Column('surface', sa.Text(), nullable=False),
    sa.Column('layer', sa.Text(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('concept_id', sa.Integer(), nullable=True),
    sa.Column('counterpart_id', sa.Integer(), nullable=True),
    sa.Column('annotator_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("layer IN ('entity', 'claim', 'error')", name=op.f('ck_annotation_layer')),
    sa.CheckConstraint("origin IN ('human', 'import') OR origin LIKE 'suggestion:%'", name=op.f('ck_annotation_origin')),
    sa.CheckConstraint("status IN ('suggested', 'accepted', 'rejected')", name=op.f('ck_annotation_status')),
    sa.CheckConstraint('char_start >= 0 AND char_start < char_end', name=op.f('ck_annotation_span')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_annotation_version')),
    sa.ForeignKeyConstraint(['annotator_id'], ['account.id'], name=op.f('fk_annotation_annotator_id_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['concept_id'], ['concept.id'], name=op.f('fk_annotation_concept_id_concept'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['counterpart_id'], ['annotation.id'], name=op.f('fk_annotation_counterpart_id_annotation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['account.id'], name=op.f('fk_annotation_decided_by_id_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_annotation_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], name=op.f('fk_annotation_segment_id_segment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation'))
    )
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_concept_id'), ['concept_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotation_document_id_annotator_id'), ['document_id', 'annotator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotation_segment_id'), ['segment_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_segment_id'))
        batch_op.drop_index(batch_op.f('ix_annotation_document_id_annotator_id'))
        batch_op.drop_index(batch_op.f('ix_annotation_concept_id'))

    op.drop_table('annotation')
    with op.batch_alter_table('alignment_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alignment_member_row_id'))

    op.drop_table('alignment_member')
    op.drop_table('segment')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_user_id_id'))
        batch_op.drop_index(batch_op.f('ix_event_group_id_id'))

    op.drop_table('event')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_group_id_position'))

    op.drop_table('document')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_group_id'))

    op.drop_table('assignment')
    op.drop_table('alignment_row')
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_record_project_id'))

    op.drop_table('export_record')
    op.drop_table('doc_group')
    with op.batch_alter_table('concept', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concept_project_id_kind_name'))

    op.drop_table('concept')
    op.drop_table('project')
    op.drop_table('account')
    
