"""Auftrag erteilen (/intern/meldungen/<number>/auftrag): a Handwerkerauftrag from the desk — the company, the text
(prefilled from the ticket, a Textbaustein insertable), the tenant's phone number only with their consent. Sending
places the order (services.staff.work_orders.place) and hands its mail to the task queue. One form page; htmx
swaps the form in place (Einfügen, refusals) and follows the redirect after sending."""

from flask import current_app, flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField, SelectField

from wir import tasks
from wir.blueprints.staff import bp, queue
from wir.blueprints.staff.desk import DeskForm
from wir.forms import ChoiceField, options, reject, text_field
from wir.rendering import or_404, redirect_after_post, render, send_bytes
from wir.services import scope
from wir.services.rejections import Rejected
from wir.services.staff import contractors, reply_templates, work_orders
from wir.services.tickets import tickets


class WorkOrderForm(DeskForm):
    contractor = ChoiceField("Firma")
    text = text_field("Auftragstext", work_orders.TEXT_MAX, "Bitte beschreiben Sie den Auftrag.", area=True,
                      render_kw={"rows": 10})
    # only „Einfügen“ reads it (reply_templates.insert checks it); sending ignores it
    template = SelectField("Textbaustein", validate_choice=False)
    pass_phone = BooleanField("Telefonnummer der Mieterin oder des Mieters an die Firma weitergeben")


def _ticket(number: str):
    return or_404(scope.staff_ticket_of(current_user, number))


def _form(ticket, formdata=None):
    form = WorkOrderForm(formdata=formdata) if formdata is not None else WorkOrderForm()
    form.contractor.choices = options(contractors.choices(ticket.cooperative_id), empty="Bitte wählen")
    form.template.choices = options(reply_templates.choices(ticket.cooperative_id), empty="Bitte wählen")
    return form


def _page(ticket, form, status=200, inserted=None, conflict=None, focus=None):
    form.template.data = ""  # a chosen one is inserted: the choice starts anew
    return render("staff/work_order.html", "staff/_work_order_form.html", status=status, ticket=ticket, form=form,
                  inserted=inserted, conflict=conflict, focus=focus, liste=queue.opened_from(),
                  photos=ticket.photos_for_contractor)


@bp.route("/meldungen/<number>/auftrag", methods=["GET", "POST"])
def work_order_new(number):
    found = _ticket(number)
    if request.method == "GET":
        form = _form(found, formdata=None)
        form.based_on(found)
        form.text.data = work_orders.prefill(found)
        return _page(found, form)
    form = _form(found)
    if request.form.get("action") == "insert":
        inserted = None
        try:
            inserted, form.text.data = reply_templates.insert(found, form.template.data,
                                                              current_user._get_current_object(), form.text.data)
        except Rejected as rejected:
            form.template.errors = [rejected.message]
        return _page(found, form, status=422 if form.template.errors else 200, inserted=inserted,
                     focus="template" if form.template.errors else "text")
    if form.validate_on_submit():
        try:
            order = work_orders.place(found, form.seen(), work_orders.Draft(
                form.contractor.data, form.text.data, bool(form.pass_phone.data)), current_user._get_current_object())
        except tickets.Conflict as conflict:
            fresh = _ticket(number)
            form.based_on(fresh)
            return _page(fresh, form, status=422, conflict=conflict)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            try:  # after the commit; a queue out of reach leaves it to the sweep (tasks.sweep_work_orders)
                tasks.mail_work_order(order.id)
            except Exception:
                current_app.logger.exception("Auftrag %s nicht zum Versand eingereiht", order.number)
            flash(f"Der Auftrag {order.number} an {order.contractor.name} ist erteilt und geht per E-Mail an die "
                  "Firma. Die Meldung steht auf Beauftragt.", "success")
            return redirect_after_post(url_for("staff.ticket", number=number, liste=queue.opened_from()))
    return _page(found, form, status=422)


@bp.route("/meldungen/<number>/auftrag/<order_number>.pdf")
def work_order_pdf(number, order_number):
    """The order's PDF as it was mailed to the company."""
    pdf = or_404(work_orders.order_pdf_of(_ticket(number), order_number, current_user._get_current_object()))
    return send_bytes(pdf, "application/pdf", f"Auftrag-{order_number}.pdf", inline=True)
