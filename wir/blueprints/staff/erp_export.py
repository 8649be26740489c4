"""Export ins ERP for admins (docs/export.md): per cooperative the changes still waiting, „Jetzt exportieren“,
the Exportläufe with their ZIP and „Als übernommen markieren“, and the tokens of the ERP's connector (/erp/v1).

The cooperative is chosen by ``?genossenschaft=<slug>`` (a plain GET form and links); the actions name it in
their path. The files hold full IBANs and Steuer-IDs: every download is audited, and they are removed
EXPORT_RETENTION_DAYS after the acknowledgement.
"""

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from wir import pagination
from wir.blueprints.staff import _require_admin, bp
from wir.forms import EmptyForm, Form, reject, text_field
from wir.models import Cooperative, JobStatus, User
from wir.rendering import or_404, redirect_after_post, render, send_bytes, wants_fragment
from wir.services.erp_export import kinds, runs, tokens
from wir.services.rejections import Rejected

CHOOSE = "genossenschaft"


class TokenForm(Form):
    name = text_field("Name des Tokens", tokens.NAME_MAX_LENGTH,
                      required="Bitte geben Sie dem Token einen Namen, z. B. „Connector Wodis“.",
                      render_kw={"autocomplete": "off"})


def _cooperatives() -> list[Cooperative]:
    return list(Cooperative.select().order_by(Cooperative.name))


def chosen(cooperatives: list[Cooperative]) -> Cooperative:
    """The cooperative of ``?genossenschaft=``, the first one without it; an unknown one is 404."""
    slug = request.args.get(CHOOSE)
    if not slug:
        return or_404(cooperatives[0] if cooperatives else None)
    return or_404(next((c for c in cooperatives if c.slug == slug), None))


def _cooperative(slug: str) -> Cooperative:
    return or_404(Cooperative.get_or_none(Cooperative.slug == slug))


def _retention_days() -> int:
    return current_app.config["EXPORT_RETENTION_DAYS"]


def _people(page_items) -> dict[int, str]:
    """Who made and who acknowledged the runs of a page, in one query (a name per user id)."""
    ids = {run.created_by_id for run in page_items} | {run.acknowledged_by_id for run in page_items}
    ids.discard(None)
    if not ids:
        return {}
    return {user.id: user.staff_name or user.email
            for user in User.select(User.id, User.staff_name, User.email).where(User.id.in_(ids))}


def _page(cooperative: Cooperative, cooperatives, token_form=None, new_token=None, status=200):
    """The whole page of one cooperative, or (htmx, a token made or refused) only its tokens."""
    token_form = token_form or TokenForm(formdata=None)
    token_list = tokens.of(cooperative)
    context = dict(cooperative=cooperative, token_form=token_form, new_token=new_token, token_list=token_list,
                   name_max=tokens.NAME_MAX_LENGTH,
                   swapped=wants_fragment())
    if wants_fragment() and request.method == "POST":
        return render("staff/erp_export.html", "staff/_erp_export_tokens.html", status=status, **context)
    page = pagination.paginate(runs.runs(cooperative), request.args.get("seite"), current_app.config["PAGE_SIZE"])
    return render("staff/erp_export.html", status=status, cooperatives=cooperatives, waiting=runs.waiting(cooperative),
                  kinds=kinds, page=page, counts={run.id: runs.counts_of(run) for run in page.items},
                  people=_people(page.items), retention_days=_retention_days(), form=EmptyForm(),
                  JobStatus=JobStatus, **context)


@bp.route("/export")
def exports():
    """Export ins ERP: what waits, the runs (newest first) and the connector's tokens of one cooperative."""
    _require_admin()
    cooperatives = _cooperatives()
    return _page(chosen(cooperatives), cooperatives)


@bp.route("/export/aenderungen")
def export_changes():
    """The changes of one cooperative not yet taken over by the ERP, newest first (no IBAN, no Steuer-ID)."""
    _require_admin()
    cooperatives = _cooperatives()
    cooperative = chosen(cooperatives)
    page = pagination.paginate(runs.waiting_changes(cooperative), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    return render("staff/erp_export_changes.html", cooperative=cooperative, page=page, kinds=kinds)


def _back(cooperative: Cooperative) -> str:
    return url_for("staff.exports", **{CHOOSE: cooperative.slug})


@bp.route("/export/<cooperative>/exportieren", methods=["POST"])
def export_now(cooperative):
    """„Jetzt exportieren“: a new run of everything not yet acknowledged (nothing waits: nothing is made)."""
    _require_admin()
    found = _cooperative(cooperative)
    if EmptyForm().validate_on_submit():
        try:
            run = runs.export(found, by=current_user, via="admin")
        except runs.ExportBusy:
            flash("Gerade wird schon ein Export dieser Genossenschaft erstellt. Bitte laden Sie die Seite in einer "
                  "Minute neu.", "error")
        else:
            if run is None:
                flash("Es wartet keine Änderung auf den Export; es wurde kein Exportlauf erstellt.", "info")
            else:
                flash(f"Exportlauf {run.number} ist erstellt. Laden Sie die ZIP-Datei herunter oder lassen Sie das "
                      "ERP sie abholen.", "success")
    return redirect_after_post(_back(found))


@bp.route("/export/<cooperative>/<int:run_number>.zip")
def export_archive(cooperative, run_number):
    """„ZIP herunterladen“: the run's files (full IBANs and Steuer-IDs; every download is audited)."""
    _require_admin()
    found = _cooperative(cooperative)
    run = or_404(runs.run_of(found, run_number))
    content = runs.archive_of(run)
    if content is None:
        return render("staff/erp_export_removed.html", status=410, cooperative=found, run=run)
    runs.record_download(run, by=current_user, via="admin")
    return send_bytes(content, "application/zip", runs.archive_name(run))


@bp.route("/export/<cooperative>/<int:run_number>/uebernommen", methods=["GET", "POST"])
def acknowledge_export(cooperative, run_number):
    """„Als übernommen markieren“: asks once more, then the run (and every earlier one) counts as taken over."""
    _require_admin()
    found = _cooperative(cooperative)
    run = or_404(runs.run_of(found, run_number))
    if run.status != JobStatus.DONE:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            acknowledged = runs.acknowledge(found, run_number, by=current_user, via="admin")
        except runs.UnknownRun:
            abort(404)
        except runs.ExportBusy:
            flash("Gerade wird ein Export dieser Genossenschaft erstellt. Exportlauf "
                  f"{run_number} lässt sich danach als übernommen markieren; bitte versuchen Sie es in einer "
                  "Minute erneut.", "error")
            return redirect_after_post(_back(found))
        flash(f"Exportlauf {acknowledged.number} ist als vom ERP übernommen markiert. Seine Änderungen werden "
              f"nicht mehr exportiert; die Dateien werden in {_retention_days()} Tagen gelöscht.", "success")
        return redirect_after_post(_back(found))
    return render("staff/erp_export_acknowledge.html", cooperative=found, run=run, form=form,
                  counts=runs.counts_of(run), kinds=kinds)


@bp.route("/export/<cooperative>/tokens", methods=["POST"])
def create_export_token(cooperative):
    """„Token erstellen“: the answer shows the token once; only its hash is kept."""
    _require_admin()
    found = _cooperative(cooperative)
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, plain = tokens.create(found, form.name.data, by=current_user)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            return _page(found, _cooperatives(), new_token=(token, plain))
    return _page(found, _cooperatives(), token_form=form, status=422)


@bp.route("/export/<cooperative>/tokens/<int:token_id>/widerrufen", methods=["POST"])
def revoke_export_token(cooperative, token_id):
    """„Widerrufen“: the connector with this token is refused from now on."""
    _require_admin()
    found = _cooperative(cooperative)
    if EmptyForm().validate_on_submit():
        token = or_404(tokens.revoke(found, token_id, by=current_user))
        flash(f"Das Token „{token.name}“ ist widerrufen. Der Connector mit diesem Token wird ab sofort abgewiesen.",
              "success")
    return redirect_after_post(_back(found))
