"""Verbrauch (§ 6a HeizkostenV): a unit's meters, their monthly consumption from the metering service, the notices
that told a tenant about a month, a month's letters for the post made in the background, the readings tenants send
with a photo (and a photo waiting for „Stimmt der Wert?“), and a person's wish for paper."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Unit, Contract, Ticket, Person, User, Cooperative = (
        table(n) for n in ('unit', 'contract', 'ticket', 'person', 'user', 'cooperative'))

    class Meter(Model):
        unit = ForeignKeyField(Unit, on_delete='CASCADE')
        number = CharField(max_length=50)
        kind = CharField()
        measure = CharField(default='kWh')

        class Meta:
            database = db
            table_name = 'meter'
            indexes = ((('unit', 'number'), True),)

    class Consumption(Model):
        meter = ForeignKeyField(Meter, on_delete='CASCADE')
        month = DateField()
        amount = DecimalField(max_digits=14, decimal_places=3)
        measure = CharField()
        factor = DecimalField(max_digits=10, decimal_places=4, null=True)
        kwh = DecimalField(max_digits=14, decimal_places=3, null=True)
        reading = DecimalField(max_digits=14, decimal_places=3, null=True)
        average_kwh = DecimalField(max_digits=14, decimal_places=3, null=True)
        average_kwh_per_m2 = DecimalField(max_digits=10, decimal_places=3, null=True)
        imported_at = DateTimeField()
        corrected_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'consumption'
            indexes = ((('meter', 'month'), True),)

    class ConsumptionNotice(Model):
        contract = ForeignKeyField(Contract, on_delete='CASCADE')
        month = DateField()
        channel = CharField(default='mail')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'consumption_notice'
            indexes = ((('contract', 'month', 'channel'), True),)

    class ConsumptionLetterBatch(Model):
        cooperative = ForeignKeyField(Cooperative, null=True)
        month = DateField()
        only_unprinted = BooleanField(default=False)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField(index=True)
        status = CharField(default='queued')
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        error = TextField(default='')
        storage_key = CharField(default='')
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'consumption_letter_batch'

    class MeterReading(Model):
        meter = ForeignKeyField(Meter, on_delete='CASCADE')
        ticket = ForeignKeyField(Ticket, null=True, on_delete='SET NULL')
        person = ForeignKeyField(Person)
        value = DecimalField(max_digits=14, decimal_places=3)
        read_on = DateField()
        confirmed_unusual = BooleanField(default=False)
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'meter_reading'
            indexes = ((('meter', 'read_on'), False),)

    class PendingUpload(Model):
        key = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete='CASCADE')
        filename = CharField()
        content_type = CharField()
        content = BlobField()
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = 'pending_upload'

    db.create_tables([Meter, Consumption, ConsumptionNotice, ConsumptionLetterBatch, MeterReading, PendingUpload])
    migrator.migrate(
        migrator.add_column('person', 'consumption_by_post', BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('person', 'consumption_by_post'),
        migrator.drop_table('pending_upload'),
        migrator.drop_table('meter_reading'),
        migrator.drop_table('consumption_letter_batch'),
        migrator.drop_table('consumption_notice'),
        migrator.drop_table('consumption'),
        migrator.drop_table('meter'),
    )
