"""Freigaben: pending bank changes, Mietschuldenfreiheitsbescheinigungen that went to staff, submitted forms."""


from flask import current_app, flash, request, url_for
from flask_login import current_user
from wtforms.validators import Optional

from wir import clock, pagination
from wir.blueprints.staff import bp, queue
from wir.forms import Form, GermanDateField, reject, text_field
from wir.rendering import or_404, redirect_after_post, render, send_stored
from wir.services import scope
from wir.services.contracts import bank_accounts
from wir.services.rejections import Rejected
from wir.services.staff import approvals

REASON_REQUIRED = "Bitte geben Sie einen Grund an; er wird der Mieterin oder dem Mieter mitgeteilt."


def _cooperative():
    """The cooperative the staff member works for; None for admins, who see both."""
    return current_user.cooperative if current_user.cooperative_id else None


# --- Bankverbindungen ------------------------------------------------------------------------------------------


class ConfirmBankForm(Form):
    valid_from = GermanDateField("Gültig ab", validators=[Optional()])


class RejectBankForm(Form):
    reason = text_field("Grund der Ablehnung", bank_accounts.REASON_MAX, required=REASON_REQUIRED, area=True)


@bp.route("/bankverbindungen")
def bank_changes():
    """Bankverbindungen: the pending changes of the cooperative, oldest first; the IBAN masked."""
    page = pagination.paginate(bank_accounts.pending_queue(_cooperative()), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    return render("staff/bank_changes.html", "staff/_bank_changes.html", page=page,
                  contract_label=scope.contract_label)


def _bank_account(account_id: int):
    return or_404(bank_accounts.account_for_staff(account_id, _cooperative()))


def _bank_decision(account, confirm_form=None, reject_form=None, status=200, conflict=False, panel=True):
    """The account's page, or for a decision sent by htmx its decision panel (with the forms' messages).

    The page itself is always whole: htmx loads it after a decision (HX-Location) to show the outcome.
    """
    if confirm_form is None:
        confirm_form = ConfirmBankForm(prefix="confirm", formdata=None, valid_from=clock.today())
    pending = account.status == bank_accounts.PENDING
    return render("staff/bank_change.html", "staff/_bank_decision.html" if panel else None, status=status,
                  account=account, state=None if pending else bank_accounts.state_of(account),
                  filed=clock.to_local(account.created_at).date(), latest=bank_accounts.latest_valid_from(),
                  next_month=bank_accounts.first_of_next_month(), today=clock.today(),
                  previous=bank_accounts.replaced_by(account) if pending else None,
                  scheduled=bank_accounts.scheduled_beside(account) if pending else [],
                  confirm_form=confirm_form, reject_form=reject_form or RejectBankForm(prefix="reject", formdata=None),
                  contract_label=scope.contract_label, conflict=conflict)


@bp.route("/bankverbindungen/<int:account_id>")
def bank_change(account_id):
    """One change with the IBAN in full (only here; each view is audited) and the decision."""
    account = _bank_account(account_id)
    bank_accounts.record_view(current_user, account)
    return _bank_decision(account, panel=False)


@bp.route("/bankverbindungen/<int:account_id>/bestaetigen", methods=["POST"])
def confirm_bank_change(account_id):
    return _decide_bank_change(
        account_id, ConfirmBankForm(prefix="confirm"), "confirm_form",
        lambda account, form: bank_accounts.confirm(account.id, current_user, _cooperative(),
                                                    valid_from=form.valid_from.data),
        "ist bestätigt. Die Mieterin oder der Mieter wurde per E-Mail benachrichtigt.",
    )


@bp.route("/bankverbindungen/<int:account_id>/ablehnen", methods=["POST"])
def reject_bank_change(account_id):
    return _decide_bank_change(
        account_id, RejectBankForm(prefix="reject"), "reject_form",
        lambda account, form: bank_accounts.reject(account.id, form.reason.data, current_user, _cooperative()),
        "ist abgelehnt. Die Mieterin oder der Mieter wurde per E-Mail mit Ihrer Begründung benachrichtigt.",
    )


def _decide_bank_change(account_id: int, form, form_name: str, decide, done: str):
    """Shared by Bestätigen and Ablehnen: the change through the staff scope, the form, the service, the answer."""
    account = _bank_account(account_id)
    if form.validate_on_submit():
        try:
            decide(account, form)
        except bank_accounts.NotPending:
            return _already_decided(account_id)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"Die neue Bankverbindung für {account.contract.number} {done}", "success")
            return redirect_after_post(url_for("staff.bank_change", account_id=account.id))
    return _bank_decision(account, status=422, **{form_name: form})


def _already_decided(account_id: int):
    """A colleague decided first (or the tenant filed a newer change): show how it stands now, apply nothing."""
    return _bank_decision(_bank_account(account_id), status=409, conflict=True)


# --- Mietschuldenfreiheitsbescheinigungen and Formulare at the ticket desk ----------------------------------------


class CertificateDecisionForm(Form):
    reason = text_field("Grund der Ablehnung (nur bei Ablehnen)", approvals.TEXT_MAX, area=True,
                        render_kw={"rows": 3})


class ApplicationDecisionForm(Form):
    text = text_field("Text für das Schreiben (bei Ablehnen: die Begründung)", approvals.TEXT_MAX, area=True,
                      render_kw={"rows": 5})


FORMS = {"certificate": (CertificateDecisionForm, "certificate"), "application": (ApplicationDecisionForm, "application")}


def approval_panel(ticket, form=None) -> dict:
    """What staff/_decision.html shows for a ticket: the decision it awaits (None: no panel), its form and, for a
    sent form, the PDF copy. A template global, so the desk's ticket page includes the panel with ``ticket`` only."""
    decision = approvals.decision_of(ticket)
    if decision is None:
        return {"decision": None}
    form_class, prefix = FORMS[decision]
    copy = approvals.form_copy_of(ticket) if decision == "application" else None
    return {"decision": decision, "form": form or form_class(prefix=prefix, formdata=None), "form_copy": copy,
            "today": clock.today()}


bp.add_app_template_global(approval_panel, "approval_panel")


def _decide(number: str, decision: str, act):
    """Shared by both decisions: the ticket through the staff scope, the form, the service, the answer."""
    ticket = or_404(scope.staff_ticket_of(current_user, number))
    form_class, prefix = FORMS[decision]
    form = form_class(prefix=prefix)
    choice = request.form.get("decision", "")
    if approvals.decision_of(ticket) != decision:
        return _not_open(ticket)
    if form.validate_on_submit():
        try:
            done = act(ticket, choice, form)
        except approvals.NotOpen:
            return _not_open(or_404(scope.staff_ticket_of(current_user, number)))
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(done, "success")
            return redirect_after_post(url_for("staff.ticket", number=ticket.number, liste=queue.opened_from()))
    return render("staff/decision.html", "staff/_decision.html", status=422, ticket=ticket,
                  panel=approval_panel(ticket, form), liste=queue.opened_from())


def _not_open(ticket):
    """Decided meanwhile (or not such a request): nothing applied; the panel says so and shows what is left."""
    return render("staff/decision.html", "staff/_decision.html", status=409, ticket=ticket, message=approvals.NOT_OPEN,
                  liste=queue.opened_from())


@bp.route("/meldungen/<number>/bescheinigung", methods=["POST"])
def decide_certificate(number):
    """Mietschuldenfreiheitsbescheinigung: Ausstellen or Ablehnen (with a reason)."""
    def act(ticket, choice, form):
        if choice == "ausstellen":
            approvals.issue_rent_clearance(ticket, current_user)
            return ("Die Bescheinigung ist ausgestellt und liegt in den Dokumenten der Mieterin oder des Mieters; "
                    "eine E-Mail weist darauf hin.")
        if choice == "ablehnen":
            approvals.refuse_rent_clearance(ticket, current_user, form.reason.data)
            return "Die Anfrage ist abgelehnt; die Mieterin oder der Mieter erhält eine E-Mail mit Ihrer Begründung."
        raise Rejected("decision", "Bitte wählen Sie Ausstellen oder Ablehnen.")
    return _decide(number, "certificate", act)


@bp.route("/meldungen/<number>/antrag", methods=["POST"])
def decide_application(number):
    """A sent form: Zustimmen or Ablehnen, each with a reply letter."""
    def act(ticket, choice, form):
        if choice not in ("zustimmen", "ablehnen"):
            raise Rejected("decision", "Bitte wählen Sie Zustimmen oder Ablehnen.")
        approvals.decide_application(ticket, current_user, choice == "zustimmen", form.text.data)
        return ("Das Schreiben liegt in den Dokumenten der Mieterin oder des Mieters; die Meldung ist "
                f"{'abgeschlossen' if choice == 'zustimmen' else 'abgelehnt'}. "
                "Die Mieterin oder der Mieter erhält eine E-Mail.")
    return _decide(number, "application", act)


@bp.route("/dokumente/<document_number>")
def document(document_number):
    """A tenant's document (e.g. a form's copy) for staff: audited; the tenant's first opening stays unrecorded."""
    found = or_404(scope.staff_document_of(current_user, document_number))
    approvals.record_document_view(current_user, found)
    return send_stored(found)
