"""A person's wishes about how the cooperative writes to them (what the person sets for themselves)."""

from wir import audit, db
from wir.models import Person, User


def set_consumption_by_post(person: Person, wanted: bool, user: User | None) -> None:
    """The person's wish to get the Verbrauchsinformation (§ 6a HeizkostenV) on paper as well: the change and its
    audit entry in one transaction, nothing written when it does not change."""
    if person.consumption_by_post == wanted:
        return
    with db.write_transaction():
        Person.update(consumption_by_post=wanted).where(Person.id == person.id).execute()
        audit.record(user, "consumption.by_post", person, "per Post: ja" if wanted else "per Post: nein",
                     cooperative=person.cooperative)
    person.consumption_by_post = wanted
