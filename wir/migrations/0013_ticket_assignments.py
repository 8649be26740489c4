"""Who a ticket was assigned to, by whom and when: the desk's history shows it (never the tenant)."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    class TicketAssignment(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        assignee = ForeignKeyField(User, null=True, on_delete='SET NULL')
        assigned_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        assigned_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'ticket_assignment'
    db.create_tables([TicketAssignment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('ticket_assignment'))
