"""Ansprechpartner: the cooperative's houses with their responsible clerk and where it came from; staff choose one.

The list is searched by street and paged (with htmx only the list is swapped). Each house is a component
(``staff/_house.html``): „Ändern“ opens its form in place with htmx, or the house's own page without JavaScript;
saving answers the component with a confirmation (htmx) or goes back to the list (303). The rules are
services.staff.house_contacts'. Staff see their own cooperative's houses (another's is 404); admins choose one with
``?genossenschaft=`` like the Auswertung.
"""

from flask import flash, request, url_for
from flask_login import current_user

from wir.blueprints.staff import bp, visible_cooperatives
from wir.blueprints.staff.erp_export import CHOOSE, chosen
from wir.formatting import counted
from wir.forms import ChoiceField, Form, options, reject
from wir.models import Cooperative, User
from wir.rendering import or_404, redirect_after_post, render
from wir.services.rejections import Rejected
from wir.services.staff import house_contacts

LIST_ID = "house-list"


class HouseContactForm(Form):
    clerk = ChoiceField("Ansprechpartner")


def _admin_choice(cooperative: Cooperative) -> dict:
    """What the links to the list carry for an admin: the cooperative shown."""
    return {CHOOSE: cooperative.slug} if current_user.role == User.ROLE_ADMIN else {}


@bp.route("/ansprechpartner")
def house_contacts_list():
    cooperatives = visible_cooperatives()
    cooperative = chosen(cooperatives)
    search = (request.args.get("suche") or "").strip()[:house_contacts.SEARCH_MAX]
    page = house_contacts.page_of(cooperative.id, search, request.args.get("seite"))
    fragment = "staff/_house_list.html" if request.headers.get("HX-Target") == LIST_ID else None
    admin_args = _admin_choice(cooperative)
    return render("staff/house_contacts.html", fragment, page=page, search=search, cooperative=cooperative,
                  cooperatives=cooperatives, admin_args=admin_args, params={"suche": search or None, **admin_args})


def _form(cooperative: Cooperative, house) -> HouseContactForm:
    form = HouseContactForm()
    form.clerk.choices = options(((u.id, u.staff_name or u.email) for u in house_contacts.clerks(cooperative.id)),
                                 empty="Bitte wählen")
    if request.method == "GET" and house.chosen_user_id:
        form.clerk.data = str(house.chosen_user_id)
    return form


def _house(house, cooperative, status: int = 200, **context):
    return render("staff/house_contact.html", "staff/_house.html", status=status, house=house,
                  cooperative=cooperative, admin_args=_admin_choice(cooperative), **context)


@bp.route("/ansprechpartner/<cooperative>/<postcode>/<path:street>", methods=["GET", "POST"])
def house_contact(cooperative, postcode, street):
    """One house: its Ansprechpartner and the form to choose one (with htmx in place in the list). Another
    cooperative's house, or one without units, is 404."""
    cooperative = or_404(next((c for c in visible_cooperatives() if c.slug == cooperative), None))
    house = or_404(house_contacts.house_of(cooperative.id, street, postcode))
    if request.method == "GET" and request.args.get("ansicht"):  # htmx: „Abbrechen“ shows the house again
        return _house(house, cooperative)
    form = _form(cooperative, house)
    if not form.validate_on_submit():
        return _house(house, cooperative, 422 if form.errors else 200, form=form)
    try:
        changed = house_contacts.choose(current_user._get_current_object(), cooperative, house,
                                        int(form.clerk.data) if form.clerk.data else None)
    except Rejected as rejected:
        reject(form, rejected)
        return _house(house, cooperative, 422, form=form)
    saved = house_contacts.house_of(cooperative.id, house.street, house.postcode)
    message = (f"Ansprechpartner für {house.street} ist jetzt {saved.contacts[0]} "
               f"({counted(changed, 'Vertrag', 'Verträge')} geändert).")
    if request.htmx:
        return _house(saved, cooperative, saved_message=message)
    flash(message, "success")
    return redirect_after_post(url_for("staff.house_contacts_list", suche=house.street, **_admin_choice(cooperative)))
