"""The internal area for staff of one cooperative (admins: both).

One blueprint; each part of the desk is a module below that adds its views to ``bp``.
"""

from flask import Blueprint, abort
from flask_login import current_user

from wir.forms import options
from wir.models import Cooperative, User
from wir.rendering import render
from wir.security import STAFF_AREA
from wir.services import scope
from wir.services.account import second_factor
from wir.services.rejections import Rejected
from wir.services.staff import staff_queue

# only staff past the second step reach it: wir.security hides the area from everybody else
bp = Blueprint("staff", __name__, url_prefix=STAFF_AREA)


@bp.route("/")
def index():
    """Übersicht: the counts that lead to the filtered queues, the second factor, the admin's links."""
    return render("staff/index.html", is_admin=_is_admin(),
                  recovery_codes_left=second_factor.unused_recovery_codes(current_user),
                  overview=staff_queue.overview(current_user), overdue_days=staff_queue.OVERDUE_WORKING_DAYS)


def _is_admin() -> bool:
    return current_user.role == User.ROLE_ADMIN


def offer_cooperatives(form) -> None:
    """A new item's „Genossenschaft“ choice: admins (of no cooperative) pick one, a clerk's is their own."""
    if _is_admin():
        form.cooperative.choices = options(((c.id, c.name) for c in Cooperative.select().order_by(Cooperative.name)),
                                           empty="Bitte wählen")
    else:
        del form.cooperative


def chosen_cooperative(form) -> Cooperative:
    """The cooperative a new item belongs to (offer_cooperatives' choice); raises Rejected without one."""
    if not _is_admin():
        return current_user.cooperative
    if not form.cooperative.data:
        raise Rejected("cooperative", "Bitte wählen Sie die Genossenschaft.")
    return Cooperative.get_by_id(int(form.cooperative.data))


def visible_cooperatives() -> list[Cooperative]:
    """The cooperatives the staff member may look at: their own; an admin's: both (a page's ``?genossenschaft=``
    choice, erp_export.chosen)."""
    return list(scope.in_staff_scope(Cooperative.select().order_by(Cooperative.name), current_user, Cooperative.id))


def _require_admin() -> None:
    if not _is_admin():
        abort(404)


from wir.blueprints.staff import (
    absences,  # noqa: E402,F401
    approvals,  # noqa: E402,F401
    audit_log,  # noqa: E402,F401
    consumption,  # noqa: E402,F401
    contractors,  # noqa: E402,F401
    desk,  # noqa: E402,F401
    documents,  # noqa: E402,F401
    erp_export,  # noqa: E402,F401
    erp_import,  # noqa: E402,F401
    figures,  # noqa: E402,F401
    house_contacts,  # noqa: E402,F401
    letters,  # noqa: E402,F401
    news,  # noqa: E402,F401
    persons,  # noqa: E402,F401
    queue,  # noqa: E402,F401
    reply_templates,  # noqa: E402,F401
    representations,  # noqa: E402,F401
    staff_accounts,  # noqa: E402,F401
    work_orders,  # noqa: E402,F401
)
