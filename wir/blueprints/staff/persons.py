"""Personen: search the cooperative's persons, a person's page (contracts, portal account, open Meldungen,
documents, Vertretungen), and the account actions, each asked once more on a page of its own before it is done.

An action's form carries the version of the account its page showed: when a colleague acted on the account
meanwhile, nothing is done (422), the page says what changed and shows the account as it is now.
"""

from flask import current_app, flash, request, url_for
from flask_login import current_user
from wtforms import HiddenField

from wir import clock
from wir.blueprints.staff import bp
from wir.converters import bounded_int
from wir.forms import Form, reject, text_field
from wir.rendering import or_404, redirect_after_post, render
from wir.services import scope, versions
from wir.services.rejections import Rejected
from wir.services.representation import representations
from wir.services.staff import audit_log, staff_persons

RESULTS_ID = "persons"  # the element the search form and the page links replace


def chosen_person():
    """Step 1 of Neue Meldung aufnehmen and Dokument hochladen (staff/_person_search_form.html): the search as
    typed, the person chosen by ?person= (404 unless the staff member's) and, while none is chosen, a page of the
    persons the search finds (None before a search)."""
    query = (request.args.get("suche") or "").strip()[: staff_persons.SEARCH_MAX]
    person_id = request.args.get("person", type=bounded_int)
    person = or_404(scope.staff_person_of(current_user, person_id)) if person_id else None
    found = None
    if person is None and query:
        found = staff_persons.search_page(current_user, query, request.args.get("seite"),
                                          current_app.config["PAGE_SIZE"])
    return query, person, found


class PersonSearchForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    suche = text_field("Suche", staff_persons.SEARCH_MAX, filters=[staff_persons.clean_search],
                       render_kw={"type": "search", "spellcheck": "false", "autocomplete": "off"})


@bp.route("/personen")
def persons():
    """Personen: the search; without a search word every person, by name."""
    form = PersonSearchForm(request.args)
    valid = form.validate()
    text = (form.suche.data or "") if valid else ""
    found = staff_persons.page_of(current_user, text, request.args.get("seite")) if valid else None
    fragment = "staff/_persons.html" if request.headers.get("HX-Target") == RESULTS_ID else None
    return render("staff/persons.html", fragment, status=200 if valid else 422, form=form, found=found,
                  params={"suche": text or None}, results_id=RESULTS_ID, account_state=staff_persons.account_state)


def _person(person_id: int):
    return or_404(staff_persons.person_of(current_user, person_id))


@bp.route("/personen/<int:person_id>")
def person(person_id):
    found = _person(person_id)
    staff_persons.record_view(found, current_user._get_current_object())
    view = staff_persons.person_view(found)
    return render("staff/person.html", view=view, actions=staff_persons.available_actions(view),
                  action_titles={action: texts["title"] for action, texts in ACTION_TEXTS.items()},
                  now=clock.now(), status_of=representations.status_of, scope_words=representations.scope_words,
                  event_words=staff_persons.REPRESENTATION_EVENT_WORDS)


# what each action's page and button say, and the message when it is done
ACTION_TEXTS = {
    staff_persons.RESEND: {
        "title": "Bestätigungs-E-Mail erneut senden",
        "explain": "Die Person erhält eine neue E-Mail mit Bestätigungslink und Bestätigungscode (24 Stunden gültig) "
                   "an die Adresse, mit der sie sich registriert hat. Frühere Links und Codes gelten nicht mehr.",
        "done": "Die Bestätigungs-E-Mail ist erneut gesendet.",
    },
    staff_persons.UNLOCK: {
        "title": "Anmeldesperre aufheben",
        "explain": "Nach mehreren falschen Passwörtern ist die Anmeldung mit dieser E-Mail-Adresse gesperrt. Heben Sie "
                   "die Sperre nur auf, wenn die Person selbst darum gebeten hat (zum Beispiel am Telefon) – die "
                   "falschen Versuche können auch von Fremden stammen.",
        "done": "Die Anmeldesperre ist aufgehoben. Die Person kann sich wieder anmelden.",
    },
    staff_persons.BLOCK: {
        "title": "Benutzerkonto sperren",
        "explain": "Die Person kann sich danach nicht mehr anmelden, und alle ihre Sitzungen enden sofort, auf jedem "
                   "Gerät. Das gilt für das ganze Benutzerkonto, auch bei Verträgen mit der anderen Genossenschaft. "
                   "Sie können das Benutzerkonto später wieder freigeben.",
        "done": "Das Benutzerkonto ist gesperrt. Alle Sitzungen sind beendet.",
    },
    staff_persons.UNBLOCK: {
        "title": "Benutzerkonto freigeben",
        "explain": "Die Person kann sich danach wieder mit ihrem Passwort anmelden.",
        "done": "Das Benutzerkonto ist wieder freigegeben.",
    },
}


class ActionForm(Form):
    version = HiddenField()  # of the account the action's page showed


@bp.route("/personen/<int:person_id>/<any(bestaetigung, entsperren, sperren, freigeben):action>",
          methods=["GET", "POST"])
def person_action(person_id, action):
    """The action's page asks once more; its button sends it (a plain form, without JavaScript too)."""
    found = _person(person_id)
    form = ActionForm()
    status, conflict = 200, None
    if form.validate_on_submit():
        try:
            staff_persons.act(action, found, versions.parse(form.version.data), current_user._get_current_object())
        except versions.Conflict as stale:
            status, conflict = 422, stale
            found = _person(person_id)  # the account as it is now
        except Rejected as rejected:
            reject(form, rejected)
            status = 409
        else:
            flash(ACTION_TEXTS[action]["done"], "success")
            return redirect_after_post(url_for("staff.person", person_id=found.id))
    elif request.method == "POST":
        status = 422  # the CSRF token expired: the form says so
    view = staff_persons.person_view(found)
    if status != 409 and action not in staff_persons.available_actions(view):
        form.form_errors.append(staff_persons.NOT_NOW[action])
        status = 409 if status == 200 else status
    if view.user:
        # based on the account as this page shows it: sending it again after a conflict is a deliberate choice
        form.version.data = str(view.user.version)
    return render("staff/person_action.html", status=status, view=view, action=action, form=form,
                  texts=ACTION_TEXTS[action], conflict=conflict, action_label=audit_log.action_label)
