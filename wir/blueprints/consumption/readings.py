"""Zählerstand melden (issue 22): filled in by the reading's work."""
