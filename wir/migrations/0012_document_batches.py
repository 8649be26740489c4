"""Sammel-Upload of documents: a batch of uploaded PDFs and its files, each matched to a contract (or why not),
kept until a clerk publishes the batch once."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Cooperative, User, Contract, Document = (table(n) for n in ('cooperative', 'user', 'contract', 'document'))

    class DocumentBatch(Model):
        key = CharField(unique=True)
        cooperative = ForeignKeyField(Cooperative)
        kind = CharField()
        title = CharField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        published_at = DateTimeField(null=True)
        published_by = ForeignKeyField(User, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'document_batch'

    class DocumentBatchFile(Model):
        batch = ForeignKeyField(DocumentBatch, on_delete='CASCADE')
        position = IntegerField()
        filename = CharField()
        status = CharField()
        note = CharField(default='')
        contract = ForeignKeyField(Contract, null=True)
        storage_key = CharField(null=True)
        size = IntegerField(default=0)
        document = ForeignKeyField(Document, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'document_batch_file'
            indexes = ((('batch', 'status', 'position'), False),)

    db.create_tables([DocumentBatch, DocumentBatchFile])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('document_batch_file'))
    migrator.migrate(migrator.drop_table('document_batch'))
