"""Handwerkerauftrag: the cooperative's contractors, work orders from a ticket (a PDF mailed once, the company's
single-use answer link), the tenant's consent on the ticket, and files attached to a mail of the outbox.
Depends only on the schema of 0023."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    Cooperative, User, Ticket, OutboxMail = (table(n) for n in ('cooperative', 'user', 'ticket', 'outbox_mail'))

    class Contractor(Model):
        cooperative = ForeignKeyField(Cooperative)
        name = CharField()
        trade = CharField()
        email = CharField()
        phone = CharField(default='')
        active = BooleanField(default=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'contractor'
            indexes = ((('cooperative', 'name'), False),)

    class WorkOrder(Model):
        cooperative = ForeignKeyField(Cooperative)
        number = CharField(unique=True)
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        contractor = ForeignKeyField(Contractor)
        text = TextField()
        pass_phone = BooleanField(default=False)
        pass_photos = BooleanField(default=False)
        state = CharField(default='ordered')
        appointment_on = DateField(null=True)
        appointment_from = CharField(default='')
        appointment_until = CharField(default='')
        done_at = DateTimeField(null=True)
        done_note = TextField(default='')
        link_hash = CharField(null=True, unique=True)
        link_expires_at = DateTimeField(null=True)
        mailed_at = DateTimeField(null=True)
        pdf_key = CharField(null=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'work_order'
            indexes = ((('ticket', 'created_at'), False), (('mailed_at',), False))

    class OutboxAttachment(Model):
        mail = ForeignKeyField(OutboxMail, on_delete='CASCADE')
        filename = CharField()
        content_type = CharField()
        storage_key = CharField()

        class Meta:
            database = db
            table_name = 'outbox_attachment'

    db.create_tables([Contractor, WorkOrder, OutboxAttachment])
    migrator.migrate(
        migrator.add_column('ticket', 'phone_for_contractor', BooleanField(default=False)),
        migrator.add_column('ticket', 'photos_for_contractor', BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('ticket', 'photos_for_contractor'),
        migrator.drop_column('ticket', 'phone_for_contractor'),
        migrator.drop_table('outbox_attachment'),
        migrator.drop_table('work_order'),
        migrator.drop_table('contractor'),
    )
