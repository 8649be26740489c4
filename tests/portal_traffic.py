"""Traffic against a real server (tests.http_client): demo tenants with a rental contract sending damage reports
at /kontakt and editing their phone numbers, as many at once as a test wants."""

import re
from dataclasses import dataclass

from tests.http_client import Response, Session
from tests.test_tickets import category, person_of, rental_of
from wir.models import Person


@dataclass(frozen=True)
class Tenant:
    email: str
    password: str
    person: Person
    concern: str  # the Kontakt form's value of the rental contract
    ticket_type: str
    category: str


def renting_tenants(logins: dict) -> list[Tenant]:
    """The demo tenants with a rental contract who have confirmed their contact data (the others are asked to
    first), read from the database the test's app is bound to."""
    found = []
    for login in logins["tenants"]:
        person = person_of(login["email"])
        rental = rental_of(person) if person else None
        if rental is not None and person.user.contact_reviewed_at is not None:
            heating = category(person, "Heizung/Warmwasser")
            found.append(Tenant(login["email"], login["password"], person, f"c{rental.id}",
                                str(heating.ticket_type_id), str(heating.id)))
    return found


def report_damage(session: Session, tenant: Tenant, key: str, photo: bytes | None = None,
                  token: str | None = None) -> Response:
    """Send a damage report with the submission key ``key`` (and a photo); the answer after the redirect."""
    fields = {
        "csrf_token": token or session.csrf_token("/kontakt"),
        "concern": tenant.concern,
        "ticket_type": tenant.ticket_type,
        "category": tenant.category,
        "subject": f"Heizung kalt ({key})",
        "message": "Seit gestern bleibt der Heizkörper im Bad kalt.",
        "location": "Bad",
        "submission_key": key,
        "action": "send",
    }
    files = [("attachments", "heizung.jpg", photo)] if photo else []
    return session.post("/kontakt", fields, files=files)


def filed(response: Response) -> bool:
    """Whether the answer is the ticket's page after a successful report."""
    return response.status == 200 and re.fullmatch(r"/meldungen/[A-Z]-\d{4}-\d{4}", response.path) is not None
