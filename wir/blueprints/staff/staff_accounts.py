"""Zugänge (admins only): the staff accounts, a new one with its set-up link, role and cooperative, deactivating and
reactivating, a new set-up link, and the second factor's reset (services.staff.staff_accounts has the rules).

Like the Textbausteine, the forms that change an account carry the version they were shown with: another admin's
change meanwhile is not overwritten unseen (422 with what changed, the version brought up to date).
"""

from flask import abort, flash, request, url_for
from flask_login import current_user, logout_user
from wtforms import HiddenField

from wir import security_log
from wir.blueprints.staff import _require_admin, bp
from wir.forms import ChoiceField, EmptyForm, Form, email_field, options, reject, text_field, valid_email_address
from wir.models import User
from wir.rendering import or_404, redirect_after_post, render
from wir.services import versions
from wir.services.account import second_factor
from wir.services.account.accounts import SETUP_VALID
from wir.services.rejections import Rejected
from wir.services.staff import staff_accounts

COOPERATIVE_HINT = "Nur für Sachbearbeitung. Die Administration betreut beide Genossenschaften."


def _offer_roles(form, admin: User) -> None:
    form.role.choices = options(staff_accounts.ROLES.items(), empty="Bitte wählen")
    form.cooperative.choices = options(((c.id, c.name) for c in staff_accounts.cooperative_choices(admin)),
                                       empty="keine (Administration)")


class AccountForm(Form):
    name = text_field("Name", staff_accounts.NAME_MAX, "Bitte geben Sie den Namen ein.",
                      render_kw={"autocomplete": "off"})
    email = email_field("E-Mail-Adresse", autocomplete="off", required="Bitte geben Sie die E-Mail-Adresse ein.")
    role = ChoiceField("Rolle")
    cooperative = ChoiceField("Genossenschaft")

    def validate_email(self, field):
        valid_email_address(self, field)

    def draft(self) -> staff_accounts.Draft:
        return staff_accounts.Draft(self.name.data or "", self.email.data or "", self.role.data or "",
                                    self.cooperative.data or "")


class RoleForm(Form):
    role = ChoiceField("Rolle")
    cooperative = ChoiceField("Genossenschaft")
    version = HiddenField()  # of the account being changed


class ActivityForm(Form):
    """Deaktivieren or Reaktivieren: the button is the confirmation; the version the page was shown with."""

    version = HiddenField()


def _admin() -> User:
    _require_admin()
    return current_user._get_current_object()


def _account(user_id: int) -> User:
    return or_404(staff_accounts.account_of(_admin(), user_id))


def _attempt(form, change) -> versions.Conflict | None:
    """Apply ``change(seen)`` with the version the form was based on; returns the conflict when another admin
    changed the account meanwhile. A refusal goes next to its field (form.errors)."""
    try:
        change(versions.parse(form.version.data))
    except versions.Conflict as stale:
        return stale
    except Rejected as rejected:
        reject(form, rejected)
    return None


def _name(colleague: User) -> str:
    return colleague.staff_name or colleague.email


@bp.route("/zugaenge")
def accounts():
    """Zugänge: every staff account with its role, state, second factor and last sign-in."""
    admin = _admin()
    return render("staff/accounts.html", colleagues=staff_accounts.accounts_of(admin), admin=admin,
                  roles=staff_accounts.ROLES)


@bp.route("/zugaenge/neu", methods=["GET", "POST"])
def account_new():
    """Zugang anlegen: the colleague gets the set-up link by mail."""
    admin = _admin()
    form = AccountForm()
    _offer_roles(form, admin)
    if form.validate_on_submit():
        try:
            colleague = staff_accounts.create(admin, form.draft())
        except Rejected as rejected:
            reject(form, rejected)
        else:
            security_log.event("staff_account.created", target=colleague.id, role=colleague.role)
            flash(f"Der Zugang für {colleague.staff_name} ist angelegt. Eine E-Mail mit dem Link zum Einrichten ist an "
                  f"{colleague.email} unterwegs; er ist {SETUP_VALID.days} Tage gültig.",
                  "success")
            return redirect_after_post(url_for("staff.account", user_id=colleague.id))
    return render("staff/account_new.html", "staff/_account_form.html", status=422 if form.errors else 200,
                  form=form, hint=COOPERATIVE_HINT)


@bp.route("/zugaenge/<int:user_id>", methods=["GET", "POST"])
def account(user_id):
    """One account: its state and actions, and „Rolle ändern“ (htmx swaps the form with its messages)."""
    colleague = _account(user_id)
    admin = current_user._get_current_object()
    form = RoleForm(role=colleague.role, cooperative=str(colleague.cooperative_id or ""))
    _offer_roles(form, admin)
    if request.method == "GET":  # a POST names the version it was based on; without one it is refused as stale
        form.version.data = str(colleague.version)
    conflict = None
    if form.validate_on_submit():
        conflict = _attempt(form, lambda seen: staff_accounts.change_role(
            admin, colleague, form.role.data, form.cooperative.data, seen))
        colleague = _account(user_id)  # as it is now
        if conflict:
            form.version.data = str(colleague.version)
        elif not form.errors:
            security_log.event("staff_account.changed", target=user_id, role=colleague.role)
            where = f" bei der {colleague.cooperative.name}" if colleague.cooperative else ""
            flash(f"{_name(colleague)} hat jetzt die Rolle {staff_accounts.role_label(colleague)}{where}. Das gilt "
                  "ab dem nächsten Seitenaufruf.", "success")
            own = colleague.id == admin.id and colleague.role != User.ROLE_ADMIN
            return redirect_after_post(url_for("staff.index") if own else url_for("staff.account", user_id=user_id))
    # the form's own htmx POST gets the form back; HX-Location after a change loads the whole page
    fragment = "staff/_account_role.html" if request.method == "POST" else None
    return render("staff/account.html", fragment, status=422 if form.errors or conflict else 200,
                  colleague=colleague, form=form, conflict=conflict, hint=COOPERATIVE_HINT, admin=admin,
                  is_set_up=staff_accounts.is_set_up(colleague))


@bp.route("/zugaenge/<int:user_id>/<any(deaktivieren, reaktivieren):action>", methods=["GET", "POST"])
def account_activity(user_id, action):
    """Deaktivieren (every session ends at once, sign-in refused) or Reaktivieren, asked once more."""
    colleague = _account(user_id)
    admin = current_user._get_current_object()
    deactivating = action == "deaktivieren"
    if colleague.is_active != deactivating:  # done already (another admin, another tab)
        return redirect_after_post(url_for("staff.account", user_id=user_id))
    form = ActivityForm()
    if request.method == "GET":
        form.version.data = str(colleague.version)
    conflict = None
    if form.validate_on_submit():
        change = staff_accounts.deactivate if deactivating else staff_accounts.reactivate
        conflict = _attempt(form, lambda seen: change(admin, colleague, seen))
        if conflict:
            colleague = _account(user_id)  # as it is now
            form.version.data = str(colleague.version)
        elif not form.errors:
            security_log.event(f"staff_account.{'deactivated' if deactivating else 'reactivated'}", target=user_id)
            if deactivating and colleague.id == admin.id:  # the own session has just ended
                logout_user()
                flash("Ihr Zugang ist deaktiviert. Sie sind abgemeldet.", "success")
                return redirect_after_post(url_for("auth.login"), full_reload=True)
            flash(f"Der Zugang von {_name(colleague)} ist deaktiviert. Alle Sitzungen sind beendet; "
                  "die Anmeldung ist nicht mehr möglich." if deactivating else
                  f"Der Zugang von {_name(colleague)} ist wieder aktiv.", "success")
            return redirect_after_post(url_for("staff.account", user_id=user_id))
    return render("staff/account_activity.html", status=422 if form.errors or conflict else 200, form=form,
                  colleague=colleague, deactivating=deactivating, action=action, conflict=conflict,
                  own=colleague.id == admin.id)


@bp.route("/zugaenge/<int:user_id>/einrichtungslink", methods=["POST"])
def account_setup_link(user_id):
    """„Link zum Einrichten erneut senden“ (the button is the confirmation); an earlier link ends."""
    colleague = _account(user_id)
    if EmptyForm().validate_on_submit() and staff_accounts.resend_setup_link(current_user._get_current_object(),
                                                                            colleague):
        flash(f"Ein neuer Link zum Einrichten ist an {colleague.email} unterwegs; der frühere gilt nicht mehr.",
              "success")
    return redirect_after_post(url_for("staff.account", user_id=user_id))


@bp.route("/zugaenge/<int:user_id>/zweiter-faktor", methods=["GET", "POST"])
def reset_second_factor(user_id):
    """Zweiten Faktor zurücksetzen (a lost phone): asks once more, then the colleague enrols anew."""
    colleague = _account(user_id)
    if colleague.id == current_user.id:  # the own second factor: only another admin or the command line
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        second_factor.reset(colleague, by=current_user._get_current_object())
        security_log.event("second_factor.reset", target=colleague.id)
        flash(f"Der zweite Faktor von {_name(colleague)} ist zurückgesetzt. Bei der "
              "nächsten Anmeldung richtet er oder sie die Zwei-Faktor-Anmeldung neu ein.", "success")
        return redirect_after_post(url_for("staff.accounts"))
    return render("staff/reset_second_factor.html", colleague=colleague, form=form)
