"""Verträge: contracts, parties, Ansprechpartner and the bank account per contract."""
