"""Antwort auf einen Antrag: the cooperative's letter agreeing to or refusing a form sent in the portal
(Untervermietung, Haustierhaltung, Personenzahl, Kündigung), with the clerk's text. A Schreiben of the
cooperative (cooperative_letter) whose wording follows from the decision."""

from dataclasses import dataclass
from datetime import date, datetime

from wir.formatting import german_date
from wir.pdf import cooperative_letter
from wir.pdf.data import Letterhead


@dataclass(frozen=True)
class Reply:
    letterhead: Letterhead
    number: str
    issued_on: date
    recipient: tuple[str, ...]  # address window lines
    salutation: str
    application: str  # "Antrag auf Untervermietung"
    submitted_on: date
    approved: bool
    text: str  # the clerk's words: conditions with a consent, the reason with a refusal
    signatory: str
    contract_number: str
    ticket_number: str

    @property
    def subject(self) -> str:
        return f"Ihr Antrag „{self.application}“ vom {german_date(self.submitted_on)}"


def build(data: Reply, *, creation_date: datetime | None = None) -> bytes:
    thanks = f"vielen Dank für Ihren Antrag „{data.application}“ vom {german_date(data.submitted_on)}."
    if data.approved:
        decision = ["Zustimmung", f"{thanks} Wir stimmen Ihrem Antrag zu."]
    else:
        decision = ["Ablehnung", f"{thanks} Leider können wir Ihrem Antrag nicht zustimmen."]
    words = [part.strip() for part in data.text.split("\n\n") if part.strip()]
    if words and not data.approved:
        words[0] = f"Begründung: {words[0]}"
    return cooperative_letter.build(cooperative_letter.Letter(
        letterhead=data.letterhead,
        number=data.number,
        issued_on=data.issued_on,
        recipient=data.recipient,
        subject=f"{data.subject}: {decision[0]}",
        salutation=data.salutation,
        paragraphs=(decision[1], *words, "Bei Fragen erreichen Sie uns über „Meldungen“ im Portal."),
        signatory=data.signatory,
        reference=(("Vertrag", data.contract_number), ("Meldung", data.ticket_number)),
    ), creation_date=creation_date)
