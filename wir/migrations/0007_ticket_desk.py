"""The staff desk: who works a ticket, its version against stale forms, since when the cooperative owes an
answer, the last activity staff see, and internal notes."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    migrator.migrate(
        migrator.add_column('ticket', 'assigned_to_id', ForeignKeyField(User, null=True, field=User.id, on_delete='SET NULL')),
        migrator.add_column('ticket', 'version', IntegerField(default=1)),
        migrator.add_column('ticket', 'waiting_since', DateTimeField(null=True)),
        migrator.add_column('ticket', 'activity_at', DateTimeField(null=True)),
        migrator.add_column('ticket_message', 'internal', BooleanField(default=False)),
    )
    db.execute_sql("UPDATE ticket SET activity_at = updated_at")
    db.execute_sql("UPDATE ticket SET waiting_since = updated_at WHERE status IN ('received', 'in_progress')")
    migrator.migrate(
        migrator.add_not_null('ticket', 'activity_at'),
        migrator.add_index('ticket', ('cooperative_id', 'activity_at')),
        migrator.add_index('ticket', ('cooperative_id', 'waiting_since')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('ticket', 'ticket_cooperative_id_waiting_since'),
        migrator.drop_index('ticket', 'ticket_cooperative_id_activity_at'),
        migrator.drop_column('ticket_message', 'internal'),
        migrator.drop_column('ticket', 'activity_at'),
        migrator.drop_column('ticket', 'waiting_since'),
        migrator.drop_column('ticket', 'version'),
        migrator.drop_column('ticket', 'assigned_to_id'),
    )
