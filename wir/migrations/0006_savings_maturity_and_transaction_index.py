"""The end of a fixed savings term, and the index that pages an account's Umsätze newest first."""
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column('savings_account', 'matures_on', DateField(null=True)))
    migrator.migrate(migrator.add_index('savings_transaction', ('account_id', 'booking_date', 'id')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('savings_transaction', 'savings_transaction_account_id_booking_date_id'))
    migrator.migrate(migrator.drop_column('savings_account', 'matures_on'))
