"""Integration plans: goals and actions (the working copy), the versions agreed with their
frozen content and the newcomer's acknowledgement; and the milestone rule "plan agreed".

Revision ID: 8330815293fa
Revises: 8cf39329120a
Create Date: 2026-12-01 08:09:32.548856

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8330815293fa'
down_revision = '8cf39329120a'
branch_labels = None
depends_on = None


# The milestone rules before and after this revision: the CHECK constraint lists them.
OLD_RULES = ['ticked', 'needs_assessed', 'language_a1', 'language_a2', 'language_b1',
             'civic_orientation', 'skills_profile', 'recognition_started', 'recognition_decided',
             'work_or_education', 'long_term_residence']
NEW_RULES = OLD_RULES[:2] + ['plan_agreed'] + OLD_RULES[2:]


def _milestone_rules(rules):
    # SQLite cannot alter a CHECK constraint: batch mode copies the table and drops the old
    # one, which deletes the ticks that cascade from it (foreign keys are on): keep them aside.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('CREATE TEMPORARY TABLE kept_milestone_tick AS SELECT * FROM milestone_tick')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_milestone_rule'), type_='check')
        batch_op.create_check_constraint('rule', sa.column('rule').in_(rules))
    if sqlite:
        op.execute('INSERT INTO milestone_tick SELECT * FROM kept_milestone_tick')
        op.execute('DROP TABLE kept_milestone_tick')


def upgrade():
    _milestone_rules(NEW_RULES)
    op.create_table('integration_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('changed_since_agreed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_integration_plan_case_id_case_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_plan')),
    sa.UniqueConstraint('case_id', name=op.f('uq_integration_plan_case_id'))
    )
    op.create_table('plan_goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('cancelled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['integration_plan.id'], name=op.f('fk_plan_goal_plan_id_integration_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_goal'))
    )
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_goal_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('agreed_on', sa.Date(), nullable=False),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agreed_by_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user_account.id'], name=op.f('fk_plan_version_acknowledged_by_id_user_account')),
    sa.ForeignKeyConstraint(['agreed_by_id'], ['user_account.id'], name=op.f('fk_plan_version_agreed_by_id_user_account')),
    sa.ForeignKeyConstraint(['plan_id'], ['integration_plan.id'], name=op.f('fk_plan_version_plan_id_integration_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_version')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_plan_version_plan_id_number'))
    )
    op.create_table('plan_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('responsible', sa.Enum('migrant', 'municipality', 'provider', 'partner', name='responsible', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'done', 'cancelled', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=True),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['plan_goal.id'], name=op.f('fk_plan_action_goal_id_plan_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_plan_action_milestone_id_milestone'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_plan_action_offering_id_offering'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['integration_plan.id'], name=op.f('fk_plan_action_plan_id_integration_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_action'))
    )
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_goal_id'), ['goal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_action_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_action_offering_id'), ['offering_id'], unique=False)
        batch_op.create_index('ix_plan_action_plan_due', ['plan_id', 'due_on'], unique=False)



def downgrade():
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_action_plan_due')
        batch_op.drop_index(batch_op.f('ix_plan_action_offering_id'))
        batch_op.drop_index(batch_op.f('ix_plan_action_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_plan_action_goal_id'))

    op.drop_table('plan_action')
    op.drop_table('plan_version')
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_goal_plan_id'))

    op.drop_table('plan_goal')
    op.drop_table('integration_plan')
    op.execute("DELETE FROM milestone WHERE rule = 'plan_agreed'")
    _milestone_rules(OLD_RULES)
