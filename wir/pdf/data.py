"""The plain data several builders are fed with: the cooperative's letterhead and a flat's address.

Nothing here imports fpdf: the services the app loads at start import these, while fpdf (about
22 MB per process) is loaded only with a builder, when a document is made.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Letterhead:
    """What a cooperative prints at the top and bottom of its documents."""

    name: str
    street: str
    postcode: str
    city: str
    register_court: str
    register_number: str
    phone: str
    email: str
    website: str = ""

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"

    @property
    def register(self) -> str:
        return f"{self.register_court}, {self.register_number}"


@dataclass(frozen=True)
class Flat:
    """A unit's address as certificates print it: with floor and position (EG/OG, links/rechts)."""

    street: str
    postcode: str
    city: str
    floor: str = ""
    position: str = ""
    unit_number: str = ""

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"

    @property
    def location(self) -> str:
        """ "2. OG links, Wohnung Nr. 1001-0203" """
        parts = [" ".join(p for p in (self.floor, self.position) if p)]
        if self.unit_number:
            parts.append(f"Nr. {self.unit_number}")
        return ", ".join(p for p in parts if p)
