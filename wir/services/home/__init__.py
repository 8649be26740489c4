"""Startseite: what a tenant sees at a glance, and the cooperative's Neuigkeiten."""
