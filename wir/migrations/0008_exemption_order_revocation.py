"""When a saver revoked a Freistellungsauftrag (Widerruf); its valid_until then says from when it no longer applies."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('exemption_order', 'revoked_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('exemption_order', 'revoked_at'))
