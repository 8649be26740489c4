"""Abwesenheit: a clerk marks themself away with a deputy, sees their current and next absences, ends them.

The rules are services.staff.absences'. With htmx the form swaps itself (its messages, focus on the summary); a
saved absence reloads the page like the plain form's redirect.
"""

from flask import flash, request, url_for
from flask_login import current_user
from wtforms.validators import Optional

from wir import clock
from wir.blueprints.staff import bp
from wir.forms import ChoiceField, EmptyForm, Form, GermanDateField, options, reject
from wir.rendering import or_404, redirect_after_post, render
from wir.services.rejections import Rejected
from wir.services.staff import absences


class AbsenceForm(Form):
    # empty: the service names what is missing
    starts_on = GermanDateField("Abwesend vom (erster Tag)", validators=[Optional()])
    ends_on = GermanDateField("Bis (letzter Tag)", validators=[Optional()])
    deputy = ChoiceField("Vertretung")


FORM_ID = "absence-form"


def _page(form, status: int = 200):
    """The page, or for the form's own htmx request only the form (a saved absence's HX-Location loads the page)."""
    today = clock.today()
    fragment = "staff/_absence_form.html" if request.headers.get("HX-Target") == FORM_ID else None
    return render("staff/absences.html", fragment, status=status, form=form, today=today,
                  absences=absences.upcoming(current_user, today), end_form=EmptyForm())


@bp.route("/abwesenheit", methods=["GET", "POST"])
def absences_page():
    form = AbsenceForm()
    form.deputy.choices = options(((u.id, u.staff_name or u.email) for u in absences.deputies(current_user)),
                                  empty="Bitte wählen")
    if not form.validate_on_submit():
        return _page(form, 422 if form.errors else 200)
    try:
        absence = absences.record(current_user._get_current_object(), form.starts_on.data, form.ends_on.data,
                                  int(form.deputy.data) if form.deputy.data else None)
    except Rejected as rejected:
        reject(form, rejected)
        return _page(form, 422)
    flash(f"Ihre Abwesenheit vom {absence.starts_on:%d.%m.%Y} bis {absence.ends_on:%d.%m.%Y} ist eingetragen.",
          "success")
    return redirect_after_post(url_for("staff.absences_page"))


@bp.route("/abwesenheit/<int:absence_id>/beenden", methods=["POST"])
def absence_end(absence_id):
    """Beenden (running: yesterday was the last day) or Löschen (not started yet); only one's own."""
    absence = or_404(absences.absence_of(current_user, absence_id))  # the CSRF token: checked for every POST
    deleted = absences.end(current_user._get_current_object(), absence)
    flash({True: "Die Abwesenheit ist gelöscht.", False: "Die Abwesenheit ist beendet.",
           None: "Diese Abwesenheit war bereits beendet."}[deleted], "success")
    return redirect_after_post(url_for("staff.absences_page"))
