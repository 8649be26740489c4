"""Registrieren: registration with a Registrierungsnummer, and the letters that bring the numbers."""
