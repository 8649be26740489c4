"""Aushänge per house: a Neuigkeit for all tenants or only the chosen houses (street with house number and
postcode), optionally mailed to the tenants it is for, once per item and user."""
from peewee import *


def up(migrator, db):
    def table(name):
        class Table(Model):
            class Meta:
                database = db
                table_name = name
        return Table

    NewsItem, User = (table(n) for n in ('news_item', 'user'))

    class NewsAudience(Model):
        news_item = ForeignKeyField(NewsItem, on_delete='CASCADE')
        street = CharField()
        postcode = CharField()

        class Meta:
            database = db
            table_name = 'news_audience'
            indexes = ((('news_item', 'street', 'postcode'), True),)

    class NewsMail(Model):
        news_item = ForeignKeyField(NewsItem, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'news_mail'
            indexes = ((('news_item', 'user'), True),)

    db.create_tables([NewsAudience, NewsMail])
    migrator.migrate(
        migrator.add_column('news_item', 'audience', CharField(default='all')),
        migrator.add_column('news_item', 'notify', BooleanField(default=False)),
        migrator.add_column('news_item', 'mailed_at', DateTimeField(null=True)),
        migrator.add_index('unit', ('cooperative_id', 'street', 'postcode')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('unit', 'unit_cooperative_id_street_postcode'),
        migrator.drop_column('news_item', 'mailed_at'),
        migrator.drop_column('news_item', 'notify'),
        migrator.drop_column('news_item', 'audience'),
        migrator.drop_table('news_mail'),
        migrator.drop_table('news_audience'),
    )
