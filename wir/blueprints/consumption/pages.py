"""Verbrauch pages (issue 22): filled in by the page's work."""
