"""Verbrauch (§ 6a HeizkostenV): the monthly consumption information, its notices and the meter readings tenants
send."""
