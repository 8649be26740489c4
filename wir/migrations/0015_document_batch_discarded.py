"""A Sammel-Upload a clerk discarded (Verwerfen) instead of publishing: kept for the audit log, never published."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('document_batch', 'discarded_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('document_batch', 'discarded_at'))
