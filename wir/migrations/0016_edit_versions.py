"""The version of a Neuigkeit and of a tenant's account, counted up by every change staff make: a staff form
based on an older version is refused instead of silently undoing a colleague's change (services.versions)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('news_item', 'version', IntegerField(default=1)),
        migrator.add_column('user', 'version', IntegerField(default=1)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('news_item', 'version'),
        migrator.drop_column('user', 'version'),
    )
