"""ERP import: the ERP's own key on every imported row, when a savings account was closed, and the record of
every import (who, when, which files with their SHA-256, the report)."""
from peewee import *

# tables with a cooperative column: the key is unique per cooperative there; the others reach their
# cooperative through a parent, so the import keeps their keys unique and an index finds them
KEYED_BY_COOPERATIVE = ('person', 'unit', 'contract', 'contact_person')
KEYED_THROUGH_PARENT = ('contract_party', 'bank_account', 'savings_account', 'savings_transaction', 'exemption_order')


def up(migrator, db):
    class Cooperative(Model):
        class Meta:
            database = db
            table_name = 'cooperative'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class ErpImport(Model):
        cooperative = ForeignKeyField(Cooperative)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        started_at = DateTimeField(index=True)
        finished_at = DateTimeField(null=True)
        dry_run = BooleanField(default=False)
        full = BooleanField(default=False)
        status = CharField(default='queued')
        files = TextField(default='[]')
        report = TextField(default='')
        bytes_done = IntegerField(default=0)
        bytes_total = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'erp_import'

    for table in KEYED_BY_COOPERATIVE + KEYED_THROUGH_PARENT:
        migrator.migrate(migrator.add_column(table, 'erp_key', CharField(max_length=100, null=True)))
    for table in KEYED_BY_COOPERATIVE:
        migrator.migrate(migrator.add_index(table, ('cooperative_id', 'erp_key'), True))
    for table in KEYED_THROUGH_PARENT:
        migrator.migrate(migrator.add_index(table, ('erp_key',), False))
    migrator.migrate(migrator.add_column('savings_account', 'closed_on', DateField(null=True)))
    db.create_tables([ErpImport])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('erp_import'))
    migrator.migrate(migrator.drop_column('savings_account', 'closed_on'))
    for table in KEYED_THROUGH_PARENT:
        migrator.migrate(migrator.drop_index(table, f'{table}_erp_key'))
    for table in KEYED_BY_COOPERATIVE:
        migrator.migrate(migrator.drop_index(table, f'{table}_cooperative_id_erp_key'))
    for table in KEYED_BY_COOPERATIVE + KEYED_THROUGH_PARENT:
        migrator.migrate(migrator.drop_column(table, 'erp_key'))
