"""Dokumente: the inbox of letters and certificates, Dokument anfordern, and the Formulare."""

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField
from wtforms.validators import InputRequired, NumberRange, Optional

from wir import clock, converters
from wir.formatting import german_date
from wir.forms import (
    ChoiceField,
    Form,
    GermanDateField,
    GermanIntegerField,
    RequestForm,
    new_submission_key,
    options,
    reject,
    text_field,
)
from wir.models import Document
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render, send_bytes, wants_download
from wir.security import require_tenant
from wir.services import scope
from wir.services.documents import applications, certificates, documents
from wir.services.rejections import Rejected

bp = Blueprint("documents", __name__, url_prefix="/dokumente")
bp.before_request(require_tenant)

LIST_ID = "document-list"  # the element the filter and the page links replace


def _date(label, required):
    return GermanDateField(label, validators=[InputRequired(required)])


class MoveInForm(RequestForm):
    move_in = _date("Datum des Einzugs", "Bitte geben Sie das Datum des Einzugs an.")
    persons = text_field("Personen, die einziehen", 1300, "Bitte nennen Sie alle Personen, die einziehen.",
                         area=True, render_kw={"rows": 4, "autocomplete": "off"})


class SubletForm(RequestForm):
    subtenant_name = text_field("Vor- und Nachname der Untermieterin oder des Untermieters", 100,
                                "Bitte geben Sie den Namen an.", render_kw={"autocomplete": "off"})
    subtenant_birth_date = _date("Geburtsdatum", "Bitte geben Sie das Geburtsdatum an.")
    start = _date("Beginn der Untervermietung", "Bitte geben Sie an, ab wann Sie untervermieten möchten.")
    end = GermanDateField("Ende der Untervermietung", validators=[Optional()])
    rooms = text_field("Welche Räume?", 200, "Bitte nennen Sie die Räume, die Sie untervermieten möchten.")
    reason = text_field("Warum möchten Sie untervermieten?", 2000, "Bitte nennen Sie den Grund.", area=True,
                        render_kw={"rows": 4})

    def application(self):
        return applications.SubletApplication(self.subtenant_name.data.strip(), self.subtenant_birth_date.data,
                                              self.start.data, self.end.data, self.rooms.data.strip(),
                                              self.reason.data.strip())


class PetForm(RequestForm):
    animal = text_field("Tierart und Rasse", 100, "Bitte nennen Sie die Tierart.")
    count = GermanIntegerField("Anzahl", default=1, validators=[
        InputRequired("Bitte geben Sie die Anzahl an."),
        NumberRange(min=1, max=10, message="Bitte geben Sie eine Anzahl von 1 bis 10 an."),
    ], render_kw={"inputmode": "numeric", "min": 1, "max": 10})
    remark = text_field("Weitere Angaben", 2000, area=True, render_kw={"rows": 4})

    def application(self):
        return applications.PetApplication(self.animal.data.strip(), self.count.data, (self.remark.data or "").strip())


class HouseholdForm(RequestForm):
    household_size = GermanIntegerField("Neue Personenzahl im Haushalt", validators=[
        InputRequired("Bitte geben Sie die neue Personenzahl an."),
        NumberRange(min=1, max=20, message="Bitte geben Sie eine Personenzahl von 1 bis 20 an."),
    ], render_kw={"inputmode": "numeric", "min": 1, "max": 20})
    effective = _date("Gültig ab", "Bitte geben Sie an, ab wann die neue Personenzahl gilt.")
    moving_in = text_field("Wer zieht ein?", 500, area=True, render_kw={"rows": 2})
    moving_out = text_field("Wer zieht aus?", 500, area=True, render_kw={"rows": 2})
    remark = text_field("Bemerkung", 2000, area=True, render_kw={"rows": 3})

    def application(self):
        return applications.HouseholdChange(self.household_size.data, self.effective.data,
                                            (self.moving_in.data or "").strip(), (self.moving_out.data or "").strip(),
                                            (self.remark.data or "").strip())


class TerminationForm(RequestForm):
    end_date = _date("Kündigung zum", "Bitte geben Sie an, zu welchem Tag Sie kündigen.")
    new_address = text_field("Ihre neue Anschrift", 300, area=True, render_kw={"rows": 3, "autocomplete": "off"})
    all_agree = BooleanField("Alle Vertragspartner sind mit der Kündigung einverstanden.")

    def application(self):
        return applications.Termination(self.end_date.data, (self.new_address.data or "").strip(), bool(self.all_agree.data))


FORM_CLASSES = {
    "untervermietung": SubletForm,
    "haustierhaltung": PetForm,
    "personenzahl": HouseholdForm,
    "kuendigung": TerminationForm,
}


def _persons():
    return viewer().persons


def _after_request_made(outcome, what: str):
    """Where a successful request leads: Dokumente with the new document on top, and a word about a ticket."""
    if outcome.ticket is not None:
        flash(f"{what} ist als Meldung {outcome.ticket.number} bei Ihrer Genossenschaft eingegangen. "
              "Die Antwort finden Sie unter „Meldungen“.", "success")
    created = outcome.document.number if outcome.document is not None else None
    return redirect_after_post(url_for("documents.index", erstellt=created))


# --- the inbox ---


def _filters(contracts) -> documents.Filters:
    args = request.args
    contract_id = args.get("vertrag", type=converters.bounded_int)
    if contract_id is not None and contract_id not in {contract.id for _, contract in contracts}:
        abort(404)  # another person's contract is as unknown as a wrong number
    kind = args.get("art") if args.get("art") in Document.KINDS else None
    year = args.get("jahr", type=converters.year)
    return documents.Filters(contract_id, kind, year)


class FilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    vertrag = ChoiceField("Vertrag")
    art = ChoiceField("Art")
    jahr = ChoiceField("Jahr")


@bp.route("/")
def index():
    persons = _persons()
    contracts = scope.contracts_of(persons)
    filters = _filters(contracts)
    listing = documents.listing(persons, filters, request.args.get("seite"), current_app.config["PAGE_SIZE"])
    form = FilterForm(request.args)
    form.vertrag.choices = options(((c.id, scope.contract_label(c)) for _, c in contracts), empty="Alle Verträge")
    form.art.choices = options(Document.KINDS.items(), empty="Alle Arten")
    form.jahr.choices = options(((y, y) for y in listing.years), empty="Alle Jahre")
    created = scope.document_of(persons, request.args["erstellt"]) if request.args.get("erstellt") else None
    offers = certificates.offers(contracts)
    # only the filter and the page links ask for the list alone; HX-Location after a request needs the page
    fragment = "documents/_list.html" if request.headers.get("HX-Target") == LIST_ID else None
    return render(
        "documents/index.html",
        fragment,
        page=listing.page,
        filters=filters,
        form=form,
        created=created,
        offers=offers,
        applications_for=applications.applications_for,
        contract_label=scope.contract_label,
        kinds=Document.KINDS,
        list_id=LIST_ID,
        keys={offer.contract.id: new_submission_key() for offer in offers},
    )


@bp.route("/<number>/pdf")
def download(number):
    """The PDF, only through this view: opened in the browser's own PDF viewer (the cooperative's documents are
    PDFs it made or checked), as an attachment for the „Herunterladen“ link; the first opening is recorded."""
    document = or_404(scope.document_of(_persons(), number))
    return send_bytes(documents.open_document(document), document.content_type, document.filename,
                      inline=not wants_download())


# --- Dokument anfordern ---


@bp.route("/anfordern/<slug>/<int:contract_id>", methods=["GET", "POST"])
def request_certificate(slug, contract_id):
    person, contract = or_404(scope.contract_of(_persons(), contract_id))
    try:
        kind = certificates.certificate_kind(slug, contract)
    except certificates.NotOffered:
        abort(404)
    form = MoveInForm() if kind.asks_for_details else RequestForm()
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
        if kind.asks_for_details:
            default = certificates.default_move_in(contract)
            form.move_in.data = default.move_in
            form.persons.data = "\n".join(default.persons)
    if form.validate_on_submit():
        details = None
        if kind.asks_for_details:
            names = [line.strip() for line in form.persons.data.splitlines() if line.strip()]
            details = certificates.MoveIn(form.move_in.data, names)
        try:
            outcome = certificates.request_certificate(slug, person, contract, current_user, details, form.key())
        except Rejected as rejected:
            reject(form, rejected)
        else:
            return _after_request_made(outcome, f"Ihre Anfrage nach einer {kind.title}")
    return _request_page(
        form, kind, contract,
        url_for("documents.request_certificate", slug=slug, contract_id=contract_id),
        kind=kind,
        clean_account=certificates.rent_account_is_clean(contract),
        button="Dokument anfordern",
    )


def _request_page(form, request_kind, contract, action, **extra):
    """The page (or, for htmx, the form) of a certificate or form request: one template for both."""
    return render(
        "documents/request.html",
        "documents/_request_form.html",
        status=422 if form.errors else 200,
        form=form,
        title=request_kind.title,
        description=request_kind.description,
        contract=contract,
        contract_label=scope.contract_label(contract),
        action=action,
        **extra,
    )


# --- Formulare ---


@bp.route("/formulare/<slug>/<int:contract_id>", methods=["GET", "POST"])
def application(slug, contract_id):
    person, contract = or_404(scope.contract_of(_persons(), contract_id))
    try:
        kind = applications.application_kind(slug, contract)
    except certificates.NotOffered:
        abort(404)
    form = FORM_CLASSES[slug]()
    notice = applications.notice_dates(clock.today()) if slug == "kuendigung" else None
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
        if notice is not None:
            form.end_date.data = notice.earliest_end
    if form.validate_on_submit():
        try:
            outcome = applications.submit(slug, person, contract, form.application(), current_user, form.key())
        except Rejected as rejected:
            reject(form, rejected)
        else:
            return _after_request_made(outcome, f"Ihr Formular „{kind.title}“")
    return _request_page(
        form, kind, contract,
        url_for("documents.application", slug=slug, contract_id=contract_id),
        slug=slug,
        notice=notice,
        parties=certificates.party_names(contract) if slug == "kuendigung" else [],
        button="Formular senden",
        german_date=german_date,
    )
