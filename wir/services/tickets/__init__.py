"""Meldungen and Kontakt: filing a request, its lifecycle, the Eingangsbestätigung."""
