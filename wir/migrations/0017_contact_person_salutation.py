"""The Anrede of an Ansprechpartner (Frau, Herr or empty), from the ERP: a tenant reads „Ihre Ansprechpartnerin“ or
„Ihr Ansprechpartner“ (wir.formatting.contact_title)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('contact_person', 'salutation', CharField(default='')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('contact_person', 'salutation'),
    )
