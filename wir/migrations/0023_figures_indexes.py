"""The indexes of the Auswertung: a cooperative's tickets by receipt, and the changes to a status by time (the
tickets closed in a period)."""


def up(migrator, db):
    migrator.migrate(migrator.add_index('ticket', ('cooperative_id', 'created_at')))
    migrator.migrate(migrator.add_index('ticket_status_change', ('new_status', 'changed_at')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('ticket_status_change', 'ticket_status_change_new_status_changed_at'))
    migrator.migrate(migrator.drop_index('ticket', 'ticket_cooperative_id_created_at'))
