"""Abwesenheit (a clerk away with a deputy) and Ansprechpartner per house (a manual choice the ERP import keeps unless
``--full``); an assignment says whether a new ticket went to its contract's clerk by itself. Needs 0023 only."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Cooperative, User, ContactPerson = (table(n) for n in ('cooperative', 'user', 'contact_person'))

    class Absence(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        deputy = ForeignKeyField(User, on_delete='CASCADE')
        starts_on = DateField()
        ends_on = DateField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'absence'
            indexes = ((('user', 'ends_on'), False), (('deputy', 'ends_on'), False))

    class HouseContact(Model):
        cooperative = ForeignKeyField(Cooperative)
        street = CharField()
        postcode = CharField()
        contact_person = ForeignKeyField(ContactPerson, on_delete='CASCADE')
        chosen_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        chosen_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'house_contact'
            indexes = ((('cooperative', 'street', 'postcode'), True),)

    db.create_tables([Absence, HouseContact])
    migrator.migrate(migrator.add_column('ticket_assignment', 'automatic', CharField(default='')))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('ticket_assignment', 'automatic'),
        migrator.drop_table('house_contact'),
        migrator.drop_table('absence'),
    )
