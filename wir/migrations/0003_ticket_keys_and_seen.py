"""Category keys, the tenant's last look at a ticket, one ticket per form submission, rejection notes."""
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column('bank_account', 'decision_note', TextField(default='')))
    migrator.migrate(migrator.add_column('ticket_category', 'key', CharField(default='')))
    migrator.migrate(migrator.add_column('ticket', 'tenant_seen_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('ticket', 'submission_key', CharField(unique=True, null=True)))
    migrator.migrate(migrator.add_index('ticket', ('person_id', 'updated_at')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('ticket', 'ticket_submission_key'))
    migrator.migrate(migrator.drop_index('ticket', 'ticket_person_id_updated_at'))
    migrator.migrate(migrator.drop_column('ticket', 'submission_key'))
    migrator.migrate(migrator.drop_column('ticket', 'tenant_seen_at'))
    migrator.migrate(migrator.drop_column('ticket_category', 'key'))
    migrator.migrate(migrator.drop_column('bank_account', 'decision_note'))
