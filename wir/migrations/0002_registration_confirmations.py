"""E-mail confirmations (link + code) and requests for a Registrierungsnummer."""
from peewee import *


def up(migrator, db):
    class Cooperative(Model):
        class Meta:
            database = db
            table_name = 'cooperative'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class EmailConfirmation(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        purpose = CharField()
        email = CharField()
        token_hash = CharField(unique=True)
        code_hash = CharField(default='')
        attempts = IntegerField(default=0)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'email_confirmation'
    db.create_tables([EmailConfirmation])

    class RegistrationNumberRequest(Model):
        cooperative = ForeignKeyField(Cooperative, null=True)
        first_name = CharField()
        last_name = CharField()
        street = CharField()
        postcode = CharField()
        city = CharField()
        reference_number = CharField(default='')
        email = CharField(default='')
        created_at = DateTimeField(index=True)
        handled_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'registration_number_request'
    db.create_tables([RegistrationNumberRequest])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('registration_number_request'))
    migrator.migrate(migrator.drop_table('email_confirmation'))
