"""Zählerstand melden (issue 22): a tenant sends a meter reading with a photo of the meter."""

from flask_login import current_user

from wir.blueprints.consumption import bp
from wir.rendering import or_404, render
from wir.security import accepts_uploads
from wir.services import scope


@bp.route("/<int:contract_id>/zaehlerstand", methods=["GET", "POST"])
@accepts_uploads
def new_reading(contract_id):
    _person, contract = or_404(scope.contract_of(scope.persons_of(current_user), contract_id))
    return render("consumption/reading.html", contract=contract)
