"""Freigaben: pending bank changes, Mietschuldenfreiheitsbescheinigungen that went to staff, submitted forms."""

from flask import current_app, request
from flask_login import current_user

from wir import pagination
from wir.blueprints.staff import bp
from wir.rendering import render
from wir.services import bank_accounts, scope


def _cooperative():
    """The cooperative the staff member works for; None for admins, who see both."""
    return current_user.cooperative if current_user.cooperative_id else None


@bp.route("/bankverbindungen")
def bank_changes():
    """Bankverbindungen: the pending changes of the cooperative, oldest first; the IBAN masked."""
    page = pagination.paginate(bank_accounts.pending_queue(_cooperative()), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    return render("staff/bank_changes.html", "staff/_bank_changes.html", page=page,
                  contract_label=scope.contract_label)
