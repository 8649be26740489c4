"""Der Rückweg ins ERP: the changes made in the portal that the ERP must take over, the numbered runs that export
them, and the tokens of the ERP's connector (wir.services.erp_export)."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Cooperative, User = (table(n) for n in ('cooperative', 'user'))

    class ErpExportRun(Model):
        cooperative = ForeignKeyField(Cooperative)
        number = IntegerField()
        status = CharField(default='running')
        claim = IntegerField(null=True, default=1)
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        via = CharField(default='')
        counts = TextField(default='{}')
        archive = BlobField(null=True)
        archive_size = IntegerField(default=0)
        archive_removed_at = DateTimeField(null=True)
        acknowledged_at = DateTimeField(null=True)
        acknowledged_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        acknowledged_via = CharField(default='')

        class Meta:
            database = db
            table_name = 'erp_export_run'
            indexes = ((('cooperative', 'number'), True), (('cooperative', 'claim'), True))

    class ErpChange(Model):
        cooperative = ForeignKeyField(Cooperative)
        kind = CharField()
        action = CharField()
        actor = CharField()
        at = DateTimeField()
        erp_key = CharField(max_length=100, null=True)
        label = CharField(default='')
        data = TextField(default='{}')
        first_run = ForeignKeyField(ErpExportRun, null=True, on_delete='SET NULL')
        acknowledged_run = ForeignKeyField(ErpExportRun, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'erp_change'
            indexes = ((('cooperative', 'acknowledged_run', 'first_run'), False),
                       (('cooperative', 'kind', 'id'), False))

    class ErpToken(Model):
        cooperative = ForeignKeyField(Cooperative)
        name = CharField()
        token_hash = CharField(unique=True)
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        revoked_by = ForeignKeyField(User, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'erp_token'

    db.create_tables([ErpExportRun, ErpChange, ErpToken])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('erp_token'),
        migrator.drop_table('erp_change'),
        migrator.drop_table('erp_export_run'),
    )
