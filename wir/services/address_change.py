"""Anschrift: read-only in the portal; a change is reported through Kontakt in its own category."""

from wir.models import Person, TicketCategory, TicketType

CATEGORY_KEY = "address_change"


def categories(persons: list[Person]) -> dict[int, TicketCategory]:
    """Per cooperative id, the Meldungskategorie for a change of address (one query)."""
    categories = (
        TicketCategory.select(TicketCategory, TicketType)
        .join(TicketType)
        .where((TicketCategory.key == CATEGORY_KEY)
               & TicketType.cooperative.in_([person.cooperative_id for person in persons]))
    )
    return {category.ticket_type.cooperative_id: category for category in categories}
