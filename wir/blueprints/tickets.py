"""Kontakt (send a request per contract) and Meldungen (follow them until they are done)."""

import uuid
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, g, request, session, url_for
from flask_login import current_user
from wtforms import BooleanField, HiddenField, MultipleFileField, StringField

from wir import acting, converters, uploads
from wir.forms import ChoiceField, EmptyForm, Form, options, reject, text_field
from wir.models import ContactPerson, Cooperative, Ticket
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render, send_stored
from wir.security import accepts_uploads, require_tenant, session_user
from wir.services import scope
from wir.services.rejections import Rejected
from wir.services.staff import absences, work_orders
from wir.services.tickets import contact, tickets

bp = Blueprint("tickets", __name__)

FILTERS = {"offen": True, "erledigt": False, "alle": None}
FORM_FIELDS = {"contract": "concern"}  # the service's name of a field → the Kontakt form's, where they differ


def _poll_question() -> tuple[datetime, list[int]]:
    """The last change the page knows of and its tickets; KeyError or ValueError when the address is garbled."""
    since = datetime.fromisoformat(request.args["seit"])
    if since.tzinfo is not None:  # the page sends the stored (naive UTC) time; another cannot be compared
        raise ValueError(since)
    ids = [converters.bounded_int(i) for i in request.args.get("ids", "").split(",") if i]
    ids = ids[: current_app.config["PAGE_SIZE"]]
    return since, ids


def _answer_unchanged_poll():
    """The status poll runs every 15 s (STATUS_POLL_SECONDS) in every open Meldungen tab and nearly always finds
    nothing changed: that answer (204, nothing about the tickets) comes from the session and one query, without
    loading the user and before require_tenant. Anything else, a refused session and one acting for someone
    (whose representation wir.acting checks first) included, takes the way of every request."""
    if request.endpoint != "tickets.poll" or acting.ACTING_KEY in session or not (found := session_user()):
        return None
    try:
        since, _ids = _poll_question()
    except (KeyError, ValueError):
        return None
    is_tenant, latest = tickets.last_change_of_session(*found)
    if is_tenant and (latest is None or latest <= since):
        return "", 204
    if is_tenant:
        g.last_ticket_change = latest  # the poll's answer starts from it: not asked for again
    return None


# the unchanged poll's answer first: it needs no user loaded
bp.before_request(_answer_unchanged_poll)
bp.before_request(require_tenant)


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(
        "Fotos oder PDF-Dateien (freiwillig)", render_kw={"accept": "image/jpeg,image/png,application/pdf"}
    )


class ContactForm(Form):
    concern = ChoiceField("Worum geht es?")  # a contract or "Allgemeines Anliegen"
    ticket_type = ChoiceField("Meldungsart")
    category = ChoiceField("Meldungskategorie")
    # a Termin with stored numbers: which one to call (a PhoneNumber id, or contact.OTHER_PHONE for ``phone``)
    phone_choice = StringField("Telefonnummer für den Termin")
    phone = text_field("Telefonnummer für Rückfragen", 40, render_kw={"autocomplete": "tel", "inputmode": "tel"})
    location = text_field("Wo genau? (Raum, Stelle)", 150)
    attachments = _attachments_field()
    subject = text_field("Betreff", tickets.SUBJECT_MAX, "Bitte geben Sie einen Betreff ein.")
    message = text_field("Nachricht", tickets.MESSAGE_MAX, "Bitte schreiben Sie uns Ihr Anliegen.", area=True,
                         render_kw={"rows": 8})
    submission_key = HiddenField()
    shown_type = HiddenField()  # the Meldungsart the form showed, to tell when another one is chosen
    # asked where a company may come (damage, Termin); never ticked beforehand
    phone_for_contractor = BooleanField("Meine Telefonnummer darf an die beauftragte Handwerksfirma weitergegeben "
                                        "werden, damit sie einen Termin mit mir vereinbart.")
    photos_for_contractor = BooleanField("Meine Fotos dürfen an die beauftragte Handwerksfirma weitergegeben werden.")


def _uploaded_files(field) -> list[tuple[str, bytes]]:
    return [(f.filename, f.read()) for f in (field.data or []) if f and f.filename]


class Selection:
    """The choices of the form that depend on each other: contract → Meldungsart → Meldungskategorie.

    Only what the chosen contract allows is offered. Choosing a Meldungsart about a contract (Schadensmeldung)
    while the contract is still the general concern preselects the tenant's only rental contract.
    """

    def __init__(self, form: ContactForm):
        self.concerns = contact.concerns_of(viewer().persons)
        by_key = {c.key: c for c in self.concerns}
        self.concern = by_key.get(form.concern.data) or self.concerns[0]
        catalogue = contact.catalogue(self.concern.person.cooperative_id)
        chosen = next(((t, cs) for t, cs in catalogue if str(t.id) == form.ticket_type.data), None)
        if chosen and form.ticket_type.data != form.shown_type.data:  # chosen just now
            self.concern = contact.suggested_concern(self.concerns, self.concern, chosen[1])
        form.concern.choices = options((c.key, c.label) for c in self.concerns)
        form.concern.data = self.concern.key

        offered = contact.offered(catalogue, self.concern)
        form.ticket_type.choices = options(((t.id, t.name) for t, _ in offered), empty="Bitte wählen")
        self.ticket_type, self.categories = next(
            ((t, cs) for t, cs in offered if str(t.id) == form.ticket_type.data), (None, [])
        )
        form.ticket_type.data = str(self.ticket_type.id) if self.ticket_type else ""
        form.shown_type.data = form.ticket_type.data
        # categories of the chosen Meldungsart that only a contract allows (the hint says so)
        self.more_with_contract = bool(chosen) and self.ticket_type is not None and len(self.categories) < len(chosen[1])

        form.category.choices = options(((c.id, c.name) for c in self.categories), empty="Bitte wählen")
        self.category = next((c for c in self.categories if str(c.id) == form.category.data), None)
        # a category sent with a contract that does not allow it (the choices changed without JavaScript)
        self.needs_contract = self.category is None and any(
            str(c.id) == form.category.data and not contact.fits(c, self.concern) for _, cs in catalogue for c in cs
        )
        if self.category is None:
            form.category.data = ""

    def problems(self) -> dict[str, str]:
        """What is missing for sending, by form field."""
        problems = {}
        if self.needs_contract:
            problems["concern"] = "Bitte wählen Sie den Vertrag, um den es geht."
        if self.ticket_type is None:
            problems["ticket_type"] = "Bitte wählen Sie eine Meldungsart."
        elif self.category is None:
            problems["category"] = "Bitte wählen Sie eine Meldungskategorie."
        return problems

    @property
    def cooperative(self) -> Cooperative:
        return self.concern.person.cooperative

    def contact_person(self) -> tuple[ContactPerson | None, absences.StandIn | None]:
        """The contract's Ansprechpartner, and who stands in while they are away."""
        if self.concern.contract and self.concern.contract.contact_person_id:
            person = ContactPerson.get_by_id(self.concern.contract.contact_person_id)
            return person, absences.stand_ins([person]).get(person.id)
        return None, None


CHOICES = ("concern", "ticket_type", "category")  # in the form's order; each rebuilds what follows


def _focus_after_choice(selection: Selection) -> str | None:
    """The field to fill next after a choice (autofocus: htmx and the browser's page load both honour it).

    With htmx the field after the one just chosen (HX-Trigger-Name); after „Auswahl übernehmen“ (without
    JavaScript) the first choice still open. After the last choice: what the category asks for first, the
    emergency number before anything else.
    """
    changed = request.headers.get("HX-Trigger-Name") if request.htmx else None
    if changed in CHOICES:
        following = CHOICES[CHOICES.index(changed) + 1:]
    else:
        following = [name for name, chosen in (("ticket_type", selection.ticket_type), ("category", selection.category))
                     if not chosen][:1]
    if following:
        return following[0]
    category = selection.category
    if category and category.is_emergency:
        return "emergency"
    if category and category.needs_phone:
        return "phone"
    if category and category.allows_attachments:
        return "location"
    return "subject"


@bp.route("/kontakt", methods=["GET", "POST"])
@accepts_uploads
def new():
    # the choices travel in the query string until the form is sent
    form = ContactForm() if request.method == "POST" else ContactForm(request.args)
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    selection = Selection(form)
    # a Termin: the stored numbers to pick from (without any, the plain field as for any other number)
    needs_phone = selection.category is not None and selection.category.needs_phone
    # the phones of the person whose data the page shows (a representative picks one of the tenant's)
    phones = scope.phones_of(viewer().persons[0].user_id) if needs_phone and viewer().persons else []
    sending = request.method == "POST" and request.form.get("action") == "send"
    if sending:
        valid = form.validate_on_submit()
        problems = selection.problems()
        for name, message in problems.items():
            form[name].errors = [*form[name].errors, message]
        if valid and not problems:
            ticket = _file_ticket(form, selection, phones)
            if ticket is not None:
                flash(f"Vielen Dank! Ihre Meldung ist eingegangen. Ihre Meldungsnummer: {ticket.number}", "success")
                return redirect_after_post(url_for("tickets.show", number=ticket.number))
    choosing = request.method == "POST" and request.form.get("action") == "choose"
    if phones and not any(form.phone_choice.data == choice
                          for choice in [str(phone.id) for phone in phones] + [contact.OTHER_PHONE]):
        form.phone_choice.data = contact.default_phone_choice(phones)
    return render(
        "tickets/new.html", "tickets/_contact.html", form=form, selection=selection, phones=phones,
        other_phone=contact.OTHER_PHONE, asks_contractor_consent=contact.asks_contractor_consent,
        focus=_focus_after_choice(selection) if choosing else None, status=422 if form.errors else 200,
    )


def _file_ticket(form: ContactForm, selection: Selection, phones: list):
    try:
        phone = form.phone.data or ""
        if selection.category.needs_phone:
            phone = contact.chosen_phone(phones, form.phone_choice.data or "", phone)
        files = uploads.check_files(_uploaded_files(form.attachments))
        ticket = tickets.submit_request(
            tickets.NewTicket(
                person=selection.concern.person,
                category=selection.category,
                contract=selection.concern.contract,
                subject=form.subject.data,
                message=form.message.data,
                phone=phone,
                location=form.location.data or "",
                attachments=files,
                created_by=current_user._get_current_object(),
                submission_key=form.submission_key.data,
                phone_for_contractor=form.phone_for_contractor.data,
                photos_for_contractor=form.photos_for_contractor.data,
            )
        )
    except uploads.UploadRejected as rejected:
        form.attachments.errors = [str(rejected)]
        return None
    except Rejected as rejected:
        reject(form, rejected, FORM_FIELDS)
        return None
    return ticket


@bp.route("/meldungen")
def index():
    filter_name = request.args.get("filter", "alle")
    if filter_name not in FILTERS:
        abort(404)
    listing = tickets.listing(viewer().persons, FILTERS[filter_name], request.args.get("seite"),
                              current_app.config["PAGE_SIZE"])
    return render(
        "tickets/index.html",
        page=listing.page,
        filter_name=filter_name,
        poll_since=listing.last_change,
        poll_seconds=current_app.config["STATUS_POLL_SECONDS"],
        # a ticket's address without its number: one url_for for the page instead of one per row (a number, such
        # as L-2026-0042, is the address's last part and needs no quoting)
        ticket_url=url_for("tickets.show", number=""),
    )


@bp.route("/meldungen/status")
def poll():
    """The status poll (every STATUS_POLL_SECONDS): 204 when nothing changed, else the changed status cells out of band."""
    try:
        since, ids = _poll_question()
    except (KeyError, ValueError):
        abort(400)
    latest = g.get("last_ticket_change") or tickets.last_change(viewer().persons)
    if latest is None or latest <= since:
        return "", 204
    changed = tickets.changed_since(viewer().persons, since, ids)
    return render("tickets/_poll.html", changed=changed, poll_since=latest, ids=",".join(map(str, ids)),
                  poll_seconds=current_app.config["STATUS_POLL_SECONDS"])


class AnswerForm(Form):
    message = text_field("Ihre Antwort", tickets.MESSAGE_MAX, "Bitte schreiben Sie uns Ihre Antwort.", area=True,
                         render_kw={"rows": 8})
    attachments = _attachments_field()


@bp.route("/meldungen/<number>", methods=["GET", "POST"])
@accepts_uploads
def show(number):
    ticket = or_404(scope.ticket_of(viewer().persons, number))
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            files = uploads.check_files(_uploaded_files(form.attachments))
            tickets.answer_query(ticket, form.message.data, current_user._get_current_object(), files,
                                 acting.current())
        except uploads.UploadRejected as rejected:
            form.attachments.errors = [str(rejected)]
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash("Vielen Dank für Ihre Antwort. Wir bearbeiten Ihre Meldung weiter.", "success")
            return redirect_after_post(url_for("tickets.show", number=number))
    tickets.mark_seen(ticket)
    return render(
        "tickets/show.html",
        ticket=ticket,
        form=form,
        question=tickets.open_question(ticket),
        history=tickets.history(ticket, include_internal=False),
        attribution=tickets.attribution(ticket),
        appointments=work_orders.appointments_of(ticket),
        status=422 if form.errors else 200,
    )


@bp.route("/meldungen/<number>/zurueckziehen", methods=["GET", "POST"])
def withdraw(number):
    ticket = or_404(scope.ticket_of(viewer().persons, number))
    if ticket.status not in Ticket.OPEN_STATUSES:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        tickets.withdraw(ticket, current_user._get_current_object(), acting.current())
        flash("Sie haben Ihre Meldung zurückgezogen.", "success")
        return redirect_after_post(url_for("tickets.show", number=number))
    return render("tickets/withdraw.html", ticket=ticket, form=form)


@bp.route("/meldungen/<number>/anhang/<int:attachment_id>")
def attachment(number, attachment_id):
    ticket = or_404(scope.ticket_of(viewer().persons, number))
    file = or_404(scope.attachment_of(ticket, attachment_id))
    return send_stored(file)
