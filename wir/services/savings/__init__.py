"""Sparen: savings accounts, Umsätze, statements, Freistellungsauftrag and requests."""
