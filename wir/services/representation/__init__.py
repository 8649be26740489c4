"""Vertretung: who acts for a tenant's person, within which scopes, and what they did."""
