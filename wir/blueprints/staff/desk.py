"""The ticket at the desk (/intern/meldungen/<number>): everything the tenant sent, the contract, the history,
and the actions (zuweisen, Status, Antwort, Rückfrage, interne Notiz); and Meldungen taken down for a tenant.

Every action is one plain form (POST → 303 back to the ticket) that htmx sends inline: the answer is then
the ticket's desk fragment (status, actions, history) with the new version in its forms. A form based on an
older version is refused (422) with what changed meanwhile, the typed text kept and the version brought up
to date, so that sending it again is a deliberate choice.
"""

import uuid
from datetime import datetime

from flask import flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField

from wir import uploads
from wir.blueprints.staff import bp, queue
from wir.blueprints.staff.persons import chosen_person
from wir.forms import ChoiceField, Form, options, reject, text_field
from wir.models import Ticket
from wir.rendering import or_404, redirect_after_post, render, send_stored, wants_fragment
from wir.security import accepts_uploads
from wir.services import scope
from wir.services.consumption import readings
from wir.services.rejections import Rejected
from wir.services.representation import representations
from wir.services.staff import reply_templates, ticket_desk, work_orders
from wir.services.tickets import contact, tickets

FIELD_ROWS = {"rows": 5}


class DeskForm(Form):
    """What every action form carries: the version of the ticket it was based on and when the page was made."""

    version = HiddenField()
    seen_at = HiddenField()

    def based_on(self, ticket: Ticket) -> None:
        self.version.data = str(ticket.version)
        self.seen_at.data = ticket.activity_at.isoformat()

    def seen(self) -> tickets.Seen:
        try:
            version = int(self.version.data or "")
        except ValueError:
            version = -1  # never a ticket's version: refused as stale, nothing applied
        try:
            at = datetime.fromisoformat(self.seen_at.data or "")
        except ValueError:
            at = None
        return tickets.Seen(version, at)


class AssignForm(DeskForm):
    assignee = ChoiceField("Zuständig")


class StatusForm(DeskForm):
    status = ChoiceField("Neuer Status")
    reason = text_field("Begründung (bei Abgelehnt Pflicht)", ticket_desk.REASON_MAX, area=True,
                        render_kw={"rows": 3})
    message = text_field("Abschließende Nachricht an die Mieterin oder den Mieter (bei Abgeschlossen, freiwillig)",
                         tickets.MESSAGE_MAX, area=True, render_kw={"rows": 3})


class AnswerForm(DeskForm):
    message = text_field("Antwort an die Mieterin oder den Mieter", tickets.MESSAGE_MAX,
                         "Bitte schreiben Sie eine Nachricht.", area=True, render_kw=FIELD_ROWS)
    attachments = MultipleFileField("Dateien anhängen (freiwillig)",
                                    render_kw={"accept": "image/jpeg,image/png,application/pdf"})
    # only „Einfügen“ reads it (reply_templates.insert checks it); sending the answer ignores it
    template = SelectField("Textbaustein", validate_choice=False)


class QueryForm(DeskForm):
    question = text_field("Rückfrage an die Mieterin oder den Mieter", tickets.MESSAGE_MAX,
                          "Bitte schreiben Sie Ihre Frage.", area=True, render_kw=FIELD_ROWS)


class NoteForm(DeskForm):
    note = text_field("Interne Notiz (sieht nur die Genossenschaft)", tickets.MESSAGE_MAX,
                      "Bitte schreiben Sie eine Notiz.", area=True, render_kw=FIELD_ROWS)


# action name in the URL → (form class, its prefix on the page)
ACTIONS = {
    "zuweisen": (AssignForm, "assign"),
    "status": (StatusForm, "status"),
    "antwort": (AnswerForm, "answer"),
    "rueckfrage": (QueryForm, "query"),
    "notiz": (NoteForm, "note"),
}
DONE = {
    "zuweisen": "Die Zuständigkeit ist gespeichert.",
    "status": "Der Status ist geändert. Die Mieterin oder der Mieter erhält eine E-Mail.",
    "antwort": "Ihre Antwort ist gesendet. Die Mieterin oder der Mieter erhält eine E-Mail.",
    "rueckfrage": "Ihre Rückfrage ist gesendet. Die Meldung steht auf Rückfrage.",
    "notiz": "Die interne Notiz ist gespeichert.",
}


def _set_choices(action: str, form, ticket: Ticket, colleagues) -> None:
    """The choices a form offers for the ticket as it is now (a sent form is validated against them)."""
    if action == "zuweisen":
        form.assignee.choices = options([("", "niemand")] + [(c.id, c.staff_name or c.email) for c in colleagues])
    elif action == "status":
        allowed = [s for s in ticket_desk.STATUS_CHOICES if s in tickets.TRANSITIONS[ticket.status]]
        form.status.choices = options(((s, Ticket.STATUSES[s]) for s in allowed), empty="Bitte wählen")


def _forms(ticket: Ticket, view: ticket_desk.DeskView, sent=None, rebase: bool = False) -> dict:
    """The action forms of the page, each based on the ticket as it is now. ``sent``: (action, form) just sent,
    kept as typed; with ``rebase`` (after a conflict) based on the current version, so a resend is deliberate."""
    forms = {}
    for action, (form_class, prefix) in ACTIONS.items():
        if sent and sent[0] == action:
            form = sent[1]
            if rebase:
                form.based_on(ticket)
        else:
            form = form_class(prefix=prefix, formdata=None)
            form.based_on(ticket)
            if action == "zuweisen":
                form.assignee.data = str(ticket.assigned_to_id or "")
        _set_choices(action, form, ticket, view.colleagues)
        forms[action] = form
    forms["antwort"].template.choices = options(view.templates, empty="Bitte wählen")
    forms["antwort"].template.data = ""  # a chosen one is inserted: the choice starts anew
    return forms


def _ticket(number: str) -> Ticket:
    return or_404(scope.staff_ticket_of(current_user, number))


def _render_desk(ticket: Ticket, sent=None, status: int = 200, conflict=None, done: str | None = None,
                 whole_page: bool = False, focus: str | None = None, inserted=None):
    view = ticket_desk.desk_view(ticket, current_user)
    return render(
        "staff/ticket.html", None if whole_page else "staff/_ticket_desk.html", status=status, ticket=ticket, view=view,
        forms=_forms(ticket, view, sent, rebase=conflict is not None), conflict=conflict, done=done,
        focus=focus, inserted=inserted,  # after „Einfügen“ without JavaScript: focus in the answer, what was inserted
        liste=queue.opened_from(), back_to_queue=queue.back_to_queue(),
        swapped=not whole_page and wants_fragment(),  # the fragment alone: it fills #desk-status out of band
        assignee=next((c for c in view.colleagues if c.id == ticket.assigned_to_id), None),
        reading=readings.desk_panel(ticket) if whole_page or not wants_fragment() else None,  # outside #desk
        attribution=representations.attribution, appointment_text=work_orders.appointment_text,
    )


@bp.route("/meldungen/<number>")
def ticket(number):
    found = _ticket(number)
    ticket_desk.record_view(found, current_user._get_current_object())
    # always whole: htmx comes here after a decision (HX-Location) and swaps the <body>
    return _render_desk(found, whole_page=True)


def _uploaded(field) -> list[tuple[str, bytes]]:
    return [(f.filename, f.read()) for f in (field.data or []) if f and f.filename]


def _apply(action: str, ticket: Ticket, form, user) -> None:
    seen = form.seen()
    if action == "zuweisen":
        assignee = int(form.assignee.data) if form.assignee.data else None
        ticket_desk.assign(ticket, seen, assignee, user)
    elif action == "status":
        ticket_desk.change_status(ticket, seen, form.status.data, user, form.reason.data or "", form.message.data or "")
    elif action == "antwort":
        files = uploads.check_files(_uploaded(form.attachments))
        ticket_desk.answer(ticket, seen, form.message.data, user, files)
    elif action == "rueckfrage":
        ticket_desk.ask(ticket, seen, form.question.data, user)
    else:
        ticket_desk.add_note(ticket, seen, form.note.data, user)


@bp.route("/meldungen/<number>/<any(zuweisen, status, antwort, rueckfrage, notiz):action>", methods=["POST"])
@accepts_uploads
def ticket_action(number, action):
    found = _ticket(number)
    form_class, prefix = ACTIONS[action]
    form = form_class(prefix=prefix)
    _set_choices(action, form, found, ticket_desk.colleagues(found, current_user))
    if form.validate_on_submit():
        try:
            _apply(action, found, form, current_user._get_current_object())
        except tickets.Conflict as conflict:
            fresh = _ticket(number)
            return _render_desk(fresh, sent=(action, form), status=422, conflict=conflict)
        except uploads.UploadRejected as rejected:
            form.attachments.errors = [str(rejected)]
        except Rejected as rejected:
            reject(form, rejected)
        else:
            if wants_fragment():
                return _render_desk(_ticket(number), done=DONE[action])
            flash(DONE[action], "success")
            return redirect_after_post(url_for("staff.ticket", number=number, liste=queue.opened_from()))
    return _render_desk(found, sent=(action, form), status=422)


@bp.route("/meldungen/<number>/textbaustein", methods=["POST"])
@accepts_uploads  # without JavaScript „Einfügen“ sends the whole answer form, files chosen too (not kept)
def insert_template(number):
    """Einfügen: the chosen Textbaustein, filled in for the ticket, after the answer typed so far; nothing is sent.
    With htmx (choosing is enough) the answer's text and choice alone, focus in the text; without JavaScript the
    desk page with the answer form as typed."""
    found = _ticket(number)
    form = AnswerForm(prefix="answer")
    inserted = None
    try:
        inserted, form.message.data = reply_templates.insert(found, form.template.data,
                                                              current_user._get_current_object(), form.message.data)
    except Rejected as rejected:
        reject(form, rejected)
    status = 422 if form.errors else 200
    if not wants_fragment():
        return _render_desk(found, sent=("antwort", form), status=status, whole_page=True, inserted=inserted,
                            focus=None if form.errors else "answer-message")
    form.template.choices = options(reply_templates.choices(found.cooperative_id), empty="Bitte wählen")
    form.template.data = ""
    return render("staff/_answer_text.html", status=status, ticket=found, form=form, inserted=inserted,
                  liste=queue.opened_from(), swapped=True,
                  focus="answer-template" if form.errors else "answer-message")


@bp.route("/meldungen/<number>/anhang/<int:attachment_id>")
def ticket_attachment(number, attachment_id):
    """An attachment of a ticket of the staff member's cooperative; images inline (thumbnails), else a download."""
    found = _ticket(number)
    file = or_404(scope.attachment_of(found, attachment_id))
    inline = file.content_type.startswith("image/") and request.args.get("vorschau") == "1"
    if not inline:
        ticket_desk.record_attachment_view(found, file, current_user._get_current_object())
    return send_stored(file, inline=inline)


# --- Neue Meldung aufnehmen (phone or counter) ---


class NewTicketForm(Form):
    contract = ChoiceField("Vertrag")
    category = ChoiceField("Meldungsart und -kategorie")
    phone = text_field("Telefonnummer für Rückfragen", 40, render_kw={"autocomplete": "off", "inputmode": "tel"})
    location = text_field("Wo genau? (Raum, Stelle)", 150)
    subject = text_field("Betreff", tickets.SUBJECT_MAX, "Bitte geben Sie einen Betreff ein.")
    message = text_field("Anliegen der Mieterin oder des Mieters", tickets.MESSAGE_MAX,
                         "Bitte schreiben Sie das Anliegen auf.", area=True, render_kw={"rows": 6})
    submission_key = HiddenField()
    # asked on the phone as the Kontakt form asks it (kept only for a category that asks it: tickets._check)
    phone_for_contractor = BooleanField("Die Telefonnummer darf an die beauftragte Handwerksfirma gehen.")
    photos_for_contractor = BooleanField("Fotos dürfen an die beauftragte Handwerksfirma gehen.")


def _new_ticket_choices(form: NewTicketForm, person):
    contracts = ticket_desk.contracts_of(person)
    form.contract.choices = options(((c.id, scope.contract_label(c)) for c in contracts), empty="Allgemeines Anliegen")
    catalogue = contact.catalogue(person.cooperative_id)
    form.category.choices = options(
        ((c.id, f"{t.name}: {c.name}") for t, categories in catalogue for c in categories), empty="Bitte wählen"
    )
    return {c.id: c for c in contracts}, {c.id: c for _, categories in catalogue for c in categories}


def _category_chosen(form: NewTicketForm) -> bool:
    if form.category.data:
        return True
    form.category.errors = [*form.category.errors, "Bitte wählen Sie eine Meldungskategorie."]
    return False


@bp.route("/meldungen/neu", methods=["GET", "POST"])
def new_ticket():
    """Step 1: find the person (by name or number); step 2 (?person=<id>): what they report."""
    query, person, found = chosen_person()
    if person is None:
        return render("staff/new_ticket.html", "staff/_person_search.html", query=query, found=found, person=None)

    form = NewTicketForm()
    contracts, categories = _new_ticket_choices(form, person)
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    if request.method == "POST" and all([form.validate(), _category_chosen(form)]):  # both say what is wrong
        try:
            created = tickets.create_ticket(tickets.NewTicket(
                person=person,
                category=categories[int(form.category.data)],
                contract=contracts.get(int(form.contract.data)) if form.contract.data else None,
                subject=form.subject.data,
                message=form.message.data,
                phone=form.phone.data or "",
                location=form.location.data or "",
                created_by=current_user._get_current_object(),
                submission_key=form.submission_key.data,
                phone_for_contractor=form.phone_for_contractor.data,
                photos_for_contractor=form.photos_for_contractor.data,
            ))
        except Rejected as rejected:
            reject(form, rejected, {"person": "contract"})
        else:
            flash(f"Die Meldung {created.number} ist aufgenommen. {person.full_name} erhält eine Bestätigung "
                  "per E-Mail, wenn ein Benutzerkonto besteht.", "success")
            return redirect_after_post(url_for("staff.ticket", number=created.number))
    return render("staff/new_ticket.html", form=form, person=person, query=query,
                  status=422 if form.errors else 200)
