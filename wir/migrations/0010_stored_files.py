"""Stored files in the database (WIR_STORAGE=database): their content keyed by its SHA-256, for several app servers."""
from peewee import *


def up(migrator, db):
    class StoredFile(Model):
        key = CharField(max_length=64, primary_key=True)
        content = BlobField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'stored_file'
    db.create_tables([StoredFile])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('stored_file'))
