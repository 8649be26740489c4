"""Textbausteine: reply templates per cooperative that staff insert at the desk, with placeholders filled from the
ticket; versioned like a Neuigkeit (services.versions)."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Cooperative, User = (table(n) for n in ('cooperative', 'user'))

    class ReplyTemplate(Model):
        cooperative = ForeignKeyField(Cooperative)
        title = CharField()
        body = TextField()
        version = IntegerField(default=1)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'reply_template'
            indexes = ((('cooperative', 'title'), False),)

    db.create_tables([ReplyTemplate])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('reply_template'),
    )
