"""Textbausteine: answers a cooperative's staff write once and insert at the desk, their placeholders filled from
the ticket.

A placeholder is a word in braces. The known ones (PLACEHOLDERS) are filled when the template is inserted; any other
({Termin}) marks what the clerk fills in by hand. No clerk's text goes to a tenant or a company with a placeholder
left in it, known or not (``refuse_placeholders``). Edits are versioned like a Neuigkeit's (services.versions) and
audited.
"""

import re
from dataclasses import dataclass

from peewee import JOIN

from wir import audit, clock, db
from wir.formatting import greeting
from wir.models import ContactPerson, Contract, Cooperative, ReplyTemplate, Ticket, User
from wir.services import scope, text, versions
from wir.services.rejections import Rejected
from wir.services.staff import absences

TITLE_MAX = 150
BODY_MAX = 5_000
PLACEHOLDERS = ("Anrede", "Name", "Meldungsnummer", "Ansprechpartner")
# a word in braces, known or not: "{Anrede}", "{Termin}", "{ Name }" (never across lines or other braces)
PLACEHOLDER = re.compile(r"\{([^{}\n]+)\}")


@dataclass(frozen=True)
class Draft:
    title: str
    body: str


def check(draft: Draft) -> Draft:
    """The draft as it will be kept; raises Rejected('title' | 'body')."""
    title = " ".join(text.check("title", draft.title, "Bitte geben Sie einen Titel ein.", TITLE_MAX).split())
    body = text.check("body", draft.body, "Bitte schreiben Sie den Text des Textbausteins.", BODY_MAX)
    return Draft(title, body)


# --- reading ---


def staff_templates(user: User):
    """The templates of the staff member's cooperative (admins: both) by title, with who changed them last (a query
    to paginate)."""
    updated_by = User.alias()
    query = (ReplyTemplate.select(ReplyTemplate, Cooperative, updated_by).join(Cooperative)
             .switch(ReplyTemplate).join(updated_by, JOIN.LEFT_OUTER, on=(ReplyTemplate.updated_by == updated_by.id))
             .order_by(ReplyTemplate.title, ReplyTemplate.id))
    return scope.in_staff_scope(query, user, ReplyTemplate.cooperative)


def template_of(user: User, template_id: int) -> ReplyTemplate | None:
    return staff_templates(user).where(ReplyTemplate.id == template_id).first()


def choices(cooperative_id: int) -> list[tuple[int, str]]:
    """The desk's choice for a ticket of the cooperative: (id, title) by title, in one query however many."""
    return list(ReplyTemplate.select(ReplyTemplate.id, ReplyTemplate.title)
                .where(ReplyTemplate.cooperative == cooperative_id)
                .order_by(ReplyTemplate.title, ReplyTemplate.id).tuples())


# --- filling ---


def values(ticket: Ticket, clerk: User, wanted=PLACEHOLDERS) -> dict[str, str]:
    """The known placeholders (those ``wanted``) for an answer to the ticket: the reporting person's Anrede and
    name, the number, and the contract's Ansprechpartner as the tenant's pages show them (their deputy while they
    are away; the clerk answering when the contract has none)."""
    person = ticket.person
    known = {
        "Anrede": greeting(person.salutation, person.last_name, person.full_name),
        "Name": person.full_name,
        "Meldungsnummer": ticket.number,
    }
    if "Ansprechpartner" in wanted:  # its queries only for a text that names it
        known["Ansprechpartner"] = _contact_name(ticket) or clerk.staff_name or clerk.email
    return known


def _contact_name(ticket: Ticket) -> str | None:
    contact = (ContactPerson.select(ContactPerson.id, ContactPerson.name, ContactPerson.user)
               .join(Contract, on=(Contract.contact_person == ContactPerson.id))
               .where(Contract.id == ticket.contract_id).first()) if ticket.contract_id else None
    if contact is None:
        return None
    stand_in = absences.stand_ins([contact]).get(contact.id)
    return (stand_in.deputy if stand_in else contact).name


def fill(body: str, known: dict[str, str]) -> str:
    """The text with its known placeholders replaced; others stay for the clerk to fill in."""
    return PLACEHOLDER.sub(lambda found: known.get(found.group(1).strip(), found.group(0)), body)


def insert(ticket: Ticket, chosen: str | None, clerk: User, answer: str | None) -> tuple[ReplyTemplate, str]:
    """The answer typed so far with the chosen template (its id as the form sent it) filled in after it; raises
    Rejected('template') for anything but a template of the ticket's cooperative."""
    chosen = chosen or ""
    template = ReplyTemplate.get_or_none(
        (ReplyTemplate.id == int(chosen)) & (ReplyTemplate.cooperative == ticket.cooperative_id)
    ) if chosen.isascii() and chosen.isdigit() and len(chosen) < 10 else None
    if template is None:
        raise Rejected("template", "Bitte wählen Sie einen Textbaustein aus der Liste.")
    named = {found.group(1).strip() for found in PLACEHOLDER.finditer(template.body)}
    filled = fill(template.body, values(ticket, clerk, named))
    typed = (answer or "").replace("\r\n", "\n").rstrip()
    return template, f"{typed}\n\n{filled}" if typed else filled


def refuse_placeholders(field: str, body: str, what: str) -> None:
    """A clerk's text still holding a placeholder in braces is not sent: Rejected(field) names the first one;
    ``what`` names the text („Die Antwort“, „Der Auftrag“)."""
    found = PLACEHOLDER.search(body or "")
    if found:
        raise Rejected(field, f"{what} enthält noch den Platzhalter {found.group(0)}. Bitte ersetzen Sie ihn durch "
                              "den gemeinten Text.")


# --- writing: one version, one transaction, audited ---


def _audit_detail(template: ReplyTemplate) -> str:
    return f"„{template.title[:80]}“"


def create(clerk: User, cooperative: Cooperative, draft: Draft) -> ReplyTemplate:
    draft = check(draft)
    now = clock.now()
    with db.write_transaction():
        template = ReplyTemplate.create(cooperative=cooperative, title=draft.title, body=draft.body,
                                         created_by=clerk, created_at=now, updated_by=clerk, updated_at=now)
        audit.record(clerk, "reply_template.created", template, _audit_detail(template), cooperative)
    return template


def _claim(template: ReplyTemplate, seen: int) -> int:
    return versions.claim(ReplyTemplate, template.id, seen, "Dieser Textbaustein", template,
                          ("reply_template.changed", "reply_template.deleted"))


def update(clerk: User, template: ReplyTemplate, draft: Draft, seen: int) -> ReplyTemplate:
    """Save the edit of the template as its version ``seen`` showed it; raises Rejected like check(),
    versions.Conflict."""
    draft = check(draft)
    template.title, template.body = draft.title, draft.body
    template.updated_by, template.updated_at = clerk, clock.now()
    with db.write_transaction():
        template.version = _claim(template, seen)
        template.save()
        audit.record(clerk, "reply_template.changed", template, _audit_detail(template), template.cooperative_id)
    return template


def delete(clerk: User, template: ReplyTemplate, seen: int) -> None:
    """Delete the template as its version ``seen`` showed it; raises versions.Conflict."""
    with db.write_transaction():
        _claim(template, seen)
        audit.record(clerk, "reply_template.deleted", template, _audit_detail(template), template.cooperative_id)
        ReplyTemplate.delete().where(ReplyTemplate.id == template.id).execute()
