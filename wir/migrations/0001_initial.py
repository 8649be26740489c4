"""Initial schema: a frozen copy of the models as they were (python-side defaults live in wir.models)."""
from peewee import *


def up(migrator, db):
    class Cooperative(Model):
        slug = CharField(unique=True)
        name = CharField()
        street = CharField()
        postcode = CharField()
        city = CharField()
        register_court = CharField()
        register_number = CharField()
        creditor_id = CharField()
        has_savings = BooleanField(default=False)
        email = CharField()
        phone = CharField()
        emergency_phone = CharField()
        office_hours = CharField()
        website = CharField()
        class Meta:
            database = db
            table_name = 'cooperative'
    db.create_tables([Cooperative])

    class User(Model):
        email = CharField(unique=True)
        password_hash = CharField()
        role = CharField(default='tenant')
        cooperative = ForeignKeyField(Cooperative, null=True)
        staff_name = CharField(null=True)
        is_active = BooleanField(default=True)
        confirmed_at = DateTimeField(null=True)
        session_version = IntegerField(default=1)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        last_login_at = DateTimeField(null=True)
        contact_reviewed_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class AuditLog(Model):
        at = DateTimeField(index=True)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        cooperative = ForeignKeyField(Cooperative, null=True)
        action = CharField()
        object_type = CharField(default='')
        object_id = CharField(default='')
        detail = TextField(default='')
        ip = CharField(default='')
        class Meta:
            database = db
            table_name = 'audit_log'
    db.create_tables([AuditLog])

    class Unit(Model):
        cooperative = ForeignKeyField(Cooperative)
        kind = CharField()
        number = CharField()
        street = CharField()
        postcode = CharField()
        city = CharField()
        floor = CharField(default='')
        position = CharField(default='')
        rooms = DecimalField(null=True, max_digits=4, decimal_places=1)
        living_area = DecimalField(null=True, max_digits=7, decimal_places=2)
        heating = CharField(default='')
        year_built = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'unit'
            indexes = ((('cooperative', 'number'), True),)
    db.create_tables([Unit])

    class ContactPerson(Model):
        cooperative = ForeignKeyField(Cooperative)
        name = CharField()
        phone = CharField()
        email = CharField()
        office_hours = CharField(default='')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'contact_person'
    db.create_tables([ContactPerson])

    class Contract(Model):
        cooperative = ForeignKeyField(Cooperative)
        kind = CharField()
        number = CharField()
        unit = ForeignKeyField(Unit, null=True)
        start_date = DateField()
        end_date = DateField(null=True)
        contact_person = ForeignKeyField(ContactPerson, null=True)
        base_rent = DecimalField(null=True, max_digits=12, decimal_places=2)
        operating_costs = DecimalField(null=True, max_digits=12, decimal_places=2)
        heating_costs = DecimalField(null=True, max_digits=12, decimal_places=2)
        household_size = IntegerField(null=True)
        arrears = DecimalField(max_digits=12, decimal_places=2, default=0)
        mandatory_shares = IntegerField(null=True)
        voluntary_shares = IntegerField(null=True)
        share_amount = DecimalField(null=True, max_digits=12, decimal_places=2)
        paid_in = DecimalField(null=True, max_digits=12, decimal_places=2)
        class Meta:
            database = db
            table_name = 'contract'
            indexes = ((('cooperative', 'number'), True),)
    db.create_tables([Contract])

    class BankAccount(Model):
        contract = ForeignKeyField(Contract, on_delete='CASCADE')
        holder = CharField()
        iban = CharField()
        bic = CharField(default='')
        bank_name = CharField(default='')
        mandate_reference = CharField(max_length=35)
        valid_from = DateField()
        status = CharField(default='active')
        consent_at = DateTimeField(null=True)
        consent_text_version = CharField(null=True)
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        decided_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'bank_account'
    db.create_tables([BankAccount])

    class Person(Model):
        cooperative = ForeignKeyField(Cooperative)
        number = CharField()
        salutation = CharField(default='')
        first_name = CharField()
        last_name = CharField()
        birth_date = DateField(null=True)
        street = CharField()
        postcode = CharField()
        city = CharField()
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'person'
            indexes = ((('cooperative', 'number'), True), (('user', 'cooperative'), True))
    db.create_tables([Person])

    class ContractParty(Model):
        contract = ForeignKeyField(Contract, on_delete='CASCADE')
        person = ForeignKeyField(Person)
        role = CharField(default='main')
        class Meta:
            database = db
            table_name = 'contract_party'
            indexes = ((('contract', 'person'), True),)
    db.create_tables([ContractParty])

    class Document(Model):
        person = ForeignKeyField(Person, on_delete='CASCADE')
        contract = ForeignKeyField(Contract, null=True)
        kind = CharField()
        title = CharField()
        number = CharField(unique=True)
        filename = CharField()
        storage_key = CharField()
        content_type = CharField(default='application/pdf')
        size = IntegerField(default=0)
        created_at = DateTimeField(index=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        read_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'document'
    db.create_tables([Document])

    class ExemptionOrder(Model):
        person = ForeignKeyField(Person)
        joint = BooleanField(default=False)
        amount = DecimalField(max_digits=12, decimal_places=2)
        valid_from = DateField()
        valid_until = DateField(null=True)
        tax_id = CharField()
        partner_name = CharField(default='')
        partner_tax_id = CharField(default='')
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        superseded_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'exemption_order'
    db.create_tables([ExemptionOrder])

    class NewsItem(Model):
        cooperative = ForeignKeyField(Cooperative)
        title = CharField()
        body = TextField()
        published_at = DateTimeField(index=True)
        expires_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'news_item'
    db.create_tables([NewsItem])

    class OutboxMail(Model):
        created_at = DateTimeField()
        recipient = CharField()
        subject = CharField()
        body_text = TextField()
        body_html = TextField(default='')
        status = CharField(index=True, default='pending')
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        last_error = TextField(default='')
        class Meta:
            database = db
            table_name = 'outbox_mail'
    db.create_tables([OutboxMail])

    class PhoneNumber(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField()
        number = CharField()
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'phone_number'
    db.create_tables([PhoneNumber])

    class RegistrationCode(Model):
        person = ForeignKeyField(Person, on_delete='CASCADE')
        code = CharField(unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'registration_code'
    db.create_tables([RegistrationCode])

    class SavingsAccount(Model):
        person = ForeignKeyField(Person)
        number = CharField(unique=True)
        product = CharField()
        interest_rate = DecimalField(max_digits=6, decimal_places=3)
        notice_months = IntegerField(default=3)
        opened_on = DateField()
        balance = DecimalField(max_digits=12, decimal_places=2, default=0)
        class Meta:
            database = db
            table_name = 'savings_account'
    db.create_tables([SavingsAccount])

    class SavingsTransaction(Model):
        account = ForeignKeyField(SavingsAccount, on_delete='CASCADE')
        booking_date = DateField(index=True)
        value_date = DateField()
        kind = CharField()
        amount = DecimalField(max_digits=12, decimal_places=2)
        balance_after = DecimalField(max_digits=12, decimal_places=2)
        class Meta:
            database = db
            table_name = 'savings_transaction'
    db.create_tables([SavingsTransaction])

    class TicketType(Model):
        cooperative = ForeignKeyField(Cooperative)
        name = CharField()
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'ticket_type'
    db.create_tables([TicketType])

    class TicketCategory(Model):
        ticket_type = ForeignKeyField(TicketType, on_delete='CASCADE')
        name = CharField()
        position = IntegerField(default=0)
        needs_phone = BooleanField(default=False)
        allows_attachments = BooleanField(default=False)
        is_emergency = BooleanField(default=False)
        needs_contract = BooleanField(default=False)
        hint = TextField(default='')
        class Meta:
            database = db
            table_name = 'ticket_category'
    db.create_tables([TicketCategory])

    class Ticket(Model):
        cooperative = ForeignKeyField(Cooperative)
        number = CharField(unique=True)
        person = ForeignKeyField(Person)
        contract = ForeignKeyField(Contract, null=True)
        category = ForeignKeyField(TicketCategory)
        subject = CharField()
        phone = CharField(default='')
        location = CharField(default='')
        status = CharField(default='received')
        created_at = DateTimeField(index=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        updated_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'ticket'
    db.create_tables([Ticket])

    class TicketMessage(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        author = ForeignKeyField(User, null=True, on_delete='SET NULL')
        from_staff = BooleanField(default=False)
        body = TextField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'ticket_message'
    db.create_tables([TicketMessage])

    class TicketAttachment(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        message = ForeignKeyField(TicketMessage, null=True, on_delete='CASCADE')
        filename = CharField()
        storage_key = CharField()
        content_type = CharField()
        size = IntegerField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'ticket_attachment'
    db.create_tables([TicketAttachment])

    class TicketStatusChange(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        old_status = CharField(null=True)
        new_status = CharField()
        reason = TextField(default='')
        changed_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        changed_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'ticket_status_change'
    db.create_tables([TicketStatusChange])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('ticket_status_change'))
    migrator.migrate(migrator.drop_table('ticket_attachment'))
    migrator.migrate(migrator.drop_table('ticket_message'))
    migrator.migrate(migrator.drop_table('ticket'))
    migrator.migrate(migrator.drop_table('ticket_category'))
    migrator.migrate(migrator.drop_table('ticket_type'))
    migrator.migrate(migrator.drop_table('savings_transaction'))
    migrator.migrate(migrator.drop_table('savings_account'))
    migrator.migrate(migrator.drop_table('registration_code'))
    migrator.migrate(migrator.drop_table('phone_number'))
    migrator.migrate(migrator.drop_table('outbox_mail'))
    migrator.migrate(migrator.drop_table('news_item'))
    migrator.migrate(migrator.drop_table('exemption_order'))
    migrator.migrate(migrator.drop_table('document'))
    migrator.migrate(migrator.drop_table('contract_party'))
    migrator.migrate(migrator.drop_table('person'))
    migrator.migrate(migrator.drop_table('bank_account'))
    migrator.migrate(migrator.drop_table('contract'))
    migrator.migrate(migrator.drop_table('contact_person'))
    migrator.migrate(migrator.drop_table('unit'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('cooperative'))
