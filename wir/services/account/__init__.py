"""Kontaktdaten, Anmeldung and the account itself: sign-in, passwords, e-mail, phones, second factor, data export."""
