"""ERP-Import for admins: upload the CSV files of the cooperative's ERP (or one ZIP), run it in the background
(wir.tasks), follow its progress and read its report; the list of past imports (docs/import.md)."""

from flask import current_app, request, url_for
from flask_login import current_user
from wtforms import BooleanField, MultipleFileField

from wir import pagination, tasks, uploads
from wir.blueprints.staff import _require_admin, bp
from wir.forms import ChoiceField, Form, options, reject
from wir.models import Cooperative
from wir.rendering import or_404, redirect_after_post, render, wants_fragment
from wir.security import accepts_uploads
from wir.services import erp_import
from wir.services.rejections import Rejected

POLL_SECONDS = 2
MAX_FILES = 20  # the nine kinds and room for a few the report names as unknown


class ImportForm(Form):
    cooperative = ChoiceField("Genossenschaft")
    files = MultipleFileField("CSV-Dateien oder eine ZIP-Datei",
                              render_kw={"accept": ".csv,text/csv,application/zip,.zip"})
    dry_run = BooleanField("Nur prüfen (Probelauf): nichts speichern", default=True)
    full = BooleanField("Vollständiger Abgleich: Verträge und Sparkonten, die fehlen, beenden")


def _limits() -> uploads.BulkLimits:
    return uploads.BulkLimits(files=MAX_FILES, total_bytes=current_app.config["BULK_UPLOAD_MAX_BYTES"])


@bp.route("/import", methods=["GET", "POST"])
@accepts_uploads(limit="BULK_UPLOAD_MAX_CONTENT_LENGTH")
def imports():
    """ERP-Import: the upload form and the past imports of both cooperatives, newest first."""
    _require_admin()
    form = ImportForm()
    cooperatives = {c.id: c for c in Cooperative.select().order_by(Cooperative.name)}
    form.cooperative.choices = options(((c.id, c.name) for c in cooperatives.values()), empty="Bitte wählen")
    if form.validate_on_submit():
        uploaded = [(f.filename, f.stream) for f in form.files.data or [] if f and f.filename]
        try:
            if not form.cooperative.data:
                raise Rejected("cooperative", "Bitte wählen Sie die Genossenschaft.")
            if not uploaded:
                raise Rejected("files", "Bitte wählen Sie die CSV-Dateien des Exports oder eine ZIP-Datei.")
            files = [(found.name, _read(found)) for found in uploads.bulk_files(uploaded, _limits())]
            record = erp_import.upload(cooperatives[int(form.cooperative.data)], current_user, files,
                                       dry_run=form.dry_run.data, full=form.full.data)
        except uploads.UploadRejected as refused:
            form.files.errors = [str(refused)]
        except Rejected as rejected:
            reject(form, rejected)
        else:
            _start(record.id)
            return redirect_after_post(url_for("staff.import_run", erp_import_id=record.id))
    page = pagination.paginate(erp_import.recent(), request.args.get("seite"), current_app.config["PAGE_SIZE"])
    return render("staff/erp_import.html", status=422 if form.errors else 200, form=form, page=page,
                  max_body=current_app.config["BULK_UPLOAD_MAX_CONTENT_LENGTH"], megabytes=uploads.megabytes,
                  max_file=uploads.MAX_FILE_BYTES, max_files=MAX_FILES)


def _read(found: uploads.BulkFile) -> bytes:
    content = found.read()
    if len(content) > uploads.MAX_FILE_BYTES:
        raise uploads.UploadRejected(f"„{found.name}“ ist größer als {uploads.megabytes(uploads.MAX_FILE_BYTES)}. "
                                     "Größere Exporte lädt der Betrieb mit dem Befehl flask import.")
    return content


def _start(erp_import_id: int) -> None:
    """Enqueue the run after its record is written; a queue out of reach fails it with the reason."""
    try:
        tasks.run_erp_import(erp_import_id)
    except Exception:
        current_app.logger.exception("ERP-Import %s nicht eingereiht", erp_import_id)
        erp_import.fail(erp_import_id, "Die Hintergrundverarbeitung ist nicht erreichbar. Es wurde nichts "
                                       "importiert; bitte versuchen Sie es später erneut.")


@bp.route("/import/<int:erp_import_id>")
def import_run(erp_import_id):
    """One import: while it waits or runs htmx asks again every few seconds (a plain link reloads), then the
    report with every error."""
    _require_admin()
    record = or_404(erp_import.run_of(erp_import_id))
    return render("staff/erp_import_run.html", "staff/_erp_import_run.html", record=record,
                  report=erp_import.report_of(record), files=erp_import.files_of(record),
                  done=erp_import.progress_of(record, tasks.erp_import_work(current_app)),
                  poll_seconds=POLL_SECONDS, megabytes=uploads.megabytes,
                  swapped=wants_fragment())  # the poll's answer also fills the page's live region out of band
