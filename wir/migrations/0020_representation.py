"""Vertretung: a user acting for a tenant's person within scopes (invited by the tenant or entered by staff from a
Vollmacht), what happened to it and what its representative did, and on tickets and their messages the
representation that sent them („durch … für …“)."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Person, User = (table(n) for n in ('person', 'user'))

    class Representation(Model):
        person = ForeignKeyField(Person)
        representative = ForeignKeyField(User, null=True)
        name = CharField()
        email = CharField()
        scopes = CharField()
        valid_until = DateField(null=True)
        source = CharField(default='invitation')
        document_key = CharField(default='')
        token_hash = CharField(null=True, unique=True)
        link_expires_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        accepted_at = DateTimeField(null=True)
        ended_at = DateTimeField(null=True)
        ended_by = ForeignKeyField(User, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'representation'

    class RepresentationEvent(Model):
        representation = ForeignKeyField(Representation, on_delete='CASCADE')
        at = DateTimeField()
        kind = CharField()
        detail = TextField(default='')
        by = ForeignKeyField(User, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'representation_event'
            indexes = ((('representation', 'at'), False),)

    db.create_tables([Representation, RepresentationEvent])
    migrator.migrate(
        migrator.add_column('ticket', 'representation_id',
                            ForeignKeyField(Representation, null=True, field=Representation.id)),
        migrator.add_column('ticket_message', 'representation_id',
                            ForeignKeyField(Representation, null=True, field=Representation.id)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('ticket_message', 'representation_id'),
        migrator.drop_column('ticket', 'representation_id'),
        migrator.drop_table('representation_event'),
        migrator.drop_table('representation'),
    )
