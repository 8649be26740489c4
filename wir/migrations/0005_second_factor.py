"""Staff's second factor: TOTP secret, its confirmation and replay guard, and the recovery codes."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('user', 'totp_secret', CharField(null=True)))
    migrator.migrate(migrator.add_column('user', 'totp_confirmed_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('user', 'totp_last_step', IntegerField(null=True)))

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class RecoveryCode(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        code_hash = CharField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'recovery_code'
    db.create_tables([RecoveryCode])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('recovery_code'))
    migrator.migrate(migrator.drop_column('user', 'totp_last_step'))
    migrator.migrate(migrator.drop_column('user', 'totp_confirmed_at'))
    migrator.migrate(migrator.drop_column('user', 'totp_secret'))
