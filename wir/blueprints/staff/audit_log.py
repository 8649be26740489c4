"""Protokoll (admins only; staff get 404): the audit log with filters, newest first a page at a time, and as CSV."""

from flask import Response, request, stream_with_context
from flask_login import current_user
from wtforms.validators import Optional, ValidationError

from wir.blueprints.staff import _require_admin, bp
from wir.formatting import german_date
from wir.forms import ChoiceField, Form, GermanDateField, options, text_field
from wir.rendering import render
from wir.services.staff import audit_log, staff_persons

LOG_ID = "audit-log"  # the element the filter and the page links replace


def _within_the_log(form, field):
    if field.data is not None and not audit_log.FIRST_DAY <= field.data <= audit_log.LAST_DAY:
        raise ValidationError(f"Bitte geben Sie ein Datum zwischen dem {german_date(audit_log.FIRST_DAY)} und dem "
                              f"{german_date(audit_log.LAST_DAY)} ein.")


class AuditLogFilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    wer = text_field("Ausgeführt von (Anfang der E-Mail-Adresse oder des Namens)", audit_log.TEXT_MAX,
                     filters=[staff_persons.clean_search], render_kw={"spellcheck": "false", "autocomplete": "off"})
    person = text_field("Person (Mitgliedsnummer)", 20, filters=[staff_persons.clean_search],
                        render_kw={"spellcheck": "false", "autocomplete": "off"})
    aktion = ChoiceField("Aktion", default="")
    von = GermanDateField("Von (Datum)", validators=[Optional(), _within_the_log])
    bis = GermanDateField("Bis (Datum)", validators=[Optional(), _within_the_log])

    def validate_bis(self, field):
        if field.data and self.von.data and field.data < self.von.data:
            raise ValidationError("Das Ende liegt vor dem Anfang. Bitte prüfen Sie die Daten.")

    def selection(self) -> audit_log.Selection | None:
        """The chosen entries, or None with the messages next to the fields."""
        if not self.validate():
            return None
        return audit_log.Selection(actor=self.wer.data or "", person=self.person.data or "",
                                   action=self.aktion.data or "", start=self.von.data, end=self.bis.data)


def _filter_form() -> AuditLogFilterForm:
    form = AuditLogFilterForm(request.args)
    form.aktion.choices = options(((a, audit_log.action_label(a)) for a in audit_log.actions()), empty="Alle Aktionen")
    return form


def _params(selection: audit_log.Selection | None) -> dict:
    """The selection as the form sends it, for the page links and the CSV link (empty values left out)."""
    if selection is None:
        return {}
    return {"wer": selection.actor or None, "person": selection.person or None, "aktion": selection.action or None,
            "von": selection.start.isoformat() if selection.start else None,
            "bis": selection.end.isoformat() if selection.end else None}


@bp.route("/protokoll", endpoint="audit_log")
def audit_log_view():
    _require_admin()
    form = _filter_form()
    selection = form.selection()
    entries = audit_log.page_of(selection, after=request.args.get("nach"), before=request.args.get("vor")) \
        if selection else None
    fragment = "staff/_audit_log.html" if request.headers.get("HX-Target") == LOG_ID else None
    return render("staff/audit_log.html", fragment, status=200 if selection else 422, form=form, entries=entries,
                  params=_params(selection), log_id=LOG_ID, action_label=audit_log.action_label,
                  object_label=audit_log.object_label, actor_name=audit_log.actor_name)


@bp.route("/protokoll.csv", endpoint="audit_log_csv")
def audit_log_export():
    _require_admin()
    form = _filter_form()
    selection = form.selection()
    if selection is None:  # the page with the messages next to the fields
        return audit_log_view()
    lines = audit_log.export(current_user._get_current_object(), selection)
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{audit_log.csv_filename()}"'
    return response
