"""Registrierungsbriefe: a batch of letters made in the background (its progress, outcome and PDF), its letters
(each for a person, perhaps answering a Registrierungsnummer request), and the person a clerk assigned to a
request no person matched by itself."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Cooperative, User, Person, Request = (
        table(n) for n in ('cooperative', 'user', 'person', 'registration_number_request'))

    class RegistrationLetterBatch(Model):
        cooperative = ForeignKeyField(Cooperative, null=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField(index=True)
        status = CharField(default='queued')
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        error = TextField(default='')
        storage_key = CharField(default='')
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'registration_letter_batch'

    class RegistrationLetter(Model):
        batch = ForeignKeyField(RegistrationLetterBatch, on_delete='CASCADE')
        position = IntegerField()
        person = ForeignKeyField(Person, on_delete='CASCADE')
        request = ForeignKeyField(Request, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'registration_letter'
            indexes = ((('batch', 'position'), True),)

    db.create_tables([RegistrationLetterBatch, RegistrationLetter])
    migrator.migrate(
        migrator.add_column('registration_number_request', 'person_id',
                            ForeignKeyField(Person, null=True, field=Person.id, on_delete='SET NULL')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('registration_number_request', 'person_id'),
        migrator.drop_table('registration_letter'),
        migrator.drop_table('registration_letter_batch'),
    )
