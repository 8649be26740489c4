"""Failed sign-ins counted per address (known or not) instead of per account."""
from peewee import *


def up(migrator, db):
    class LoginThrottle(Model):
        address_hash = CharField(unique=True)
        failures = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        last_failure_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'login_throttle'
    db.create_tables([LoginThrottle])
    migrator.migrate(migrator.drop_column('user', 'failed_logins'))
    migrator.migrate(migrator.drop_column('user', 'locked_until'))


def down(migrator, db):
    migrator.migrate(migrator.add_column('user', 'locked_until', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('user', 'failed_logins', IntegerField(default=0)))
    migrator.migrate(migrator.drop_table('login_throttle'))
