"""Dokumente für Mieter: what the cooperative sent with when each was first opened, one PDF for a person, and
the Sammel-Upload (many PDFs or a ZIP, matched to contracts, previewed, then published at once)."""

from flask import current_app, flash, request, url_for
from flask_login import current_user
from wtforms import FileField, MultipleFileField

from wir import clock, pagination, uploads
from wir.blueprints.staff import bp
from wir.blueprints.staff.persons import chosen_person
from wir.forms import ChoiceField, EmptyForm, Form, options, reject, text_field
from wir.models import Cooperative, User
from wir.rendering import or_404, redirect_after_post, render
from wir.security import accepts_uploads
from wir.services import scope
from wir.services.rejections import Rejected
from wir.services.staff import staff_documents

LIST_ID = "sent-documents"  # the element the filter and page links replace
FILES_ID = "batch-files"


def _user() -> User:
    return current_user._get_current_object()


def _is_admin() -> bool:
    return current_user.role == User.ROLE_ADMIN


# --- the list ---------------------------------------------------------------------------------------------------


class SentFilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    art = ChoiceField("Art", default="")
    status = ChoiceField("Geöffnet", default="")
    suche = text_field("Vertrags-, Mitglieds- oder Dokumentnummer", 40,
                       render_kw={"type": "search", "spellcheck": "false", "autocomplete": "off"})


@bp.route("/dokumente")
def documents():
    """Dokumente: what the cooperative put into tenants' Dokumente, newest first, with the first opening."""
    form = SentFilterForm(request.args)
    form.art.choices = options(staff_documents.KINDS.items(), empty="Alle Arten")
    form.status.choices = options(staff_documents.OPENED_FILTERS.items(), empty="alle")
    valid = form.validate()
    selection = staff_documents.SentFilter(
        kind=form.art.data or "", opened=form.status.data or "", search=(form.suche.data or "").strip().upper(),
    ) if valid else staff_documents.SentFilter()
    page = pagination.paginate(staff_documents.sent_documents(current_user, selection), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    params = {"art": selection.kind or None, "status": selection.opened or None, "suche": selection.search or None}
    fragment = "staff/_documents.html" if request.headers.get("HX-Target") == LIST_ID else None
    return render("staff/documents.html", fragment, status=200 if valid else 422, form=form, page=page,
                  params=params, list_id=LIST_ID, kinds=staff_documents.KINDS, contract_label=scope.contract_label)


# --- one document ---------------------------------------------------------------------------------------------


class DocumentForm(Form):
    contract = ChoiceField("Vertrag", default="")
    kind = ChoiceField("Art", default="letter")
    title = text_field("Titel", staff_documents.TITLE_MAX, "Bitte geben Sie einen Titel an.")
    file = FileField("PDF-Datei", render_kw={"accept": "application/pdf,.pdf"})


@bp.route("/dokumente/neu", methods=["GET", "POST"])
@accepts_uploads
def new_document():
    """Step 1: find the person; step 2 (?person=<id>): the PDF for them or one of their contracts."""
    query, person, found = chosen_person()
    if person is None:
        return render("staff/new_document.html", "staff/_person_search.html", query=query, found=found,
                      person=None, search_endpoint="staff.new_document")

    form = DocumentForm()
    contracts = {c.id: c for c in staff_documents.contracts_of(person)}
    form.contract.choices = options(((c.id, scope.contract_label(c)) for c in contracts.values()),
                                    empty="Kein bestimmter Vertrag")
    form.kind.choices = options(staff_documents.KINDS.items())
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if not upload or not upload.filename:
                raise uploads.UploadRejected("Bitte wählen Sie eine PDF-Datei aus.")
            pdf = uploads.check_pdf(upload.filename, upload.read())
            contract = contracts.get(int(form.contract.data)) if form.contract.data else None
            document = staff_documents.upload(person, contract, form.kind.data, form.title.data, pdf, _user())
        except uploads.UploadRejected as refused:
            form.file.errors = [str(refused)]
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"„{document.title}“ liegt jetzt in den Dokumenten von {person.full_name} (Dokument-Nr. "
                  f"{document.number}). Hat die Person ein Benutzerkonto, erhält sie eine E-Mail.", "success")
            return redirect_after_post(url_for("staff.documents"))
    return render("staff/new_document.html", status=422 if form.errors else 200, form=form, person=person,
                  query=query)


# --- Sammel-Upload --------------------------------------------------------------------------------------------


class BulkUploadForm(Form):
    cooperative = ChoiceField("Genossenschaft")  # admins only: staff upload for their own
    kind = ChoiceField("Art", default="operating_costs_statement")
    title = text_field("Titel (für alle Dateien)", staff_documents.TITLE_MAX, "Bitte geben Sie einen Titel an.")
    files = MultipleFileField("PDF-Dateien oder eine ZIP-Datei",
                              render_kw={"accept": "application/pdf,.pdf,application/zip,.zip"})


def _limits() -> uploads.BulkLimits:
    config = current_app.config
    return uploads.BulkLimits(files=config["BULK_UPLOAD_MAX_FILES"], total_bytes=config["BULK_UPLOAD_MAX_BYTES"])


@bp.route("/dokumente/hochladen", methods=["GET", "POST"])
@accepts_uploads(limit="BULK_UPLOAD_MAX_CONTENT_LENGTH")
def upload_documents():
    """Sammel-Upload: the files are checked and matched, then shown in the preview; nothing is published yet."""
    form = BulkUploadForm(title=f"Betriebskostenabrechnung {clock.today().year - 1}")
    form.kind.choices = options(staff_documents.KINDS.items())
    cooperatives = {c.id: c for c in Cooperative.select().order_by(Cooperative.name)} if _is_admin() else {}
    if _is_admin():
        form.cooperative.choices = options(((c.id, c.name) for c in cooperatives.values()), empty="Bitte wählen")
    else:
        del form.cooperative
    if form.validate_on_submit():
        uploaded = [(f.filename, f.stream) for f in form.files.data or [] if f and f.filename]
        try:
            if _is_admin() and not form.cooperative.data:
                raise Rejected("cooperative", "Bitte wählen Sie die Genossenschaft.")
            cooperative = cooperatives[int(form.cooperative.data)] if _is_admin() else current_user.cooperative
            files = uploads.bulk_files(uploaded, _limits())
            batch = staff_documents.prepare_batch(_user(), cooperative, form.kind.data, form.title.data, files)
        except uploads.UploadRejected as refused:
            form.files.errors = [str(refused)]
        except Rejected as rejected:
            reject(form, rejected)
        else:
            return redirect_after_post(url_for("staff.document_batch", batch_key=batch.key))
    return render("staff/upload_documents.html", status=422 if form.errors else 200, form=form,
                  limits=_limits(), max_body=current_app.config["BULK_UPLOAD_MAX_CONTENT_LENGTH"],
                  megabytes=uploads.megabytes)


def _batch(batch_key: str):
    return or_404(staff_documents.batch_of(current_user, batch_key))


def _render_batch(batch, status: int = 200, already: bool = False):
    page = pagination.paginate(staff_documents.batch_files(batch, matched=True), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    fragment = "staff/_batch_files.html" if request.headers.get("HX-Target") == FILES_ID else None
    return render("staff/document_batch.html", fragment, status=status, batch=batch, page=page,
                  problems=list(staff_documents.batch_files(batch, matched=False)),
                  counts=staff_documents.batch_counts(batch), form=EmptyForm(), files_id=FILES_ID,
                  kinds=staff_documents.KINDS, statuses=staff_documents.DocumentBatchFile.STATUSES,
                  contract_label=scope.contract_label, already=already)


@bp.route("/dokumente/stapel/<batch_key>")
def document_batch(batch_key):
    """The preview of a Sammel-Upload: matched, unmatched, duplicate and refused files; Veröffentlichen."""
    return _render_batch(_batch(batch_key))


def _decide(batch_key: str, decision, done: str):
    """Veröffentlichen or Verwerfen (``decision(batch, clerk)``, which returns the message shown after it); a batch
    decided meanwhile answers 409 and changes nothing. ``done``: where the clerk goes afterwards."""
    batch = _batch(batch_key)
    if not EmptyForm().validate_on_submit():
        return _render_batch(batch, status=422)
    try:
        message = decision(batch, _user())
    except staff_documents.AlreadyPublished:
        return _render_batch(_batch(batch_key), status=409, already=True)
    flash(message, "success")
    return redirect_after_post(done)


def _publish(batch, clerk) -> str:
    count = staff_documents.publish(batch, clerk)
    return (f"{count} {'Dokument ist' if count == 1 else 'Dokumente sind'} veröffentlicht. Jede Mieterin und jeder "
            "Mieter mit Benutzerkonto erhält eine E-Mail.")


def _discard(batch, clerk) -> str:
    staff_documents.discard(batch, clerk)
    return f"Der Sammel-Upload „{batch.title}“ ist verworfen; nichts wurde veröffentlicht."


@bp.route("/dokumente/stapel/<batch_key>/veroeffentlichen", methods=["POST"])
def publish_batch(batch_key):
    return _decide(batch_key, _publish, url_for("staff.document_batch", batch_key=batch_key))


@bp.route("/dokumente/stapel/<batch_key>/verwerfen", methods=["POST"])
def discard_batch(batch_key):
    """Verwerfen: a batch that is not to be published (wrong files, wrong title) goes before anyone sees it."""
    return _decide(batch_key, _discard, url_for("staff.upload_documents"))
