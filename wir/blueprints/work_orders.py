"""Auftrag beantworten (/auftrag/<number>/<token>): the contractor's page without login, reached by the link in the
order's mail. It proposes or confirms an appointment or reports the work done; each answer uses the link up and the
confirmation mail brings a fresh one (services.staff.work_orders). A used, expired, tampered or foreign link gets
the same neutral page, and nothing changes. Like the other links of the portal's mails (Einladung, Bestätigung) it
is not rate-limited: its 256-bit token cannot be guessed, and a wrong one costs one indexed lookup."""

from flask import Blueprint, flash, url_for
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from wir.forms import Form, GermanDateField, reject, text_field
from wir.rendering import redirect_after_post, render
from wir.services.rejections import Rejected
from wir.services.staff import work_orders

bp = Blueprint("work_orders", __name__, url_prefix="/auftrag")


@bp.after_request
def _not_kept(response):
    """The order names the tenant and the address: no cache keeps it, though nobody is signed in."""
    response.headers["Cache-Control"] = "no-store"
    return response


class AppointmentForm(Form):
    on = GermanDateField("Tag", validators=[Optional()])  # an empty day: the service says what is missing
    start = StringField("Von (Uhrzeit)", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    until = StringField("Bis (Uhrzeit)", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    confirmed = BooleanField("Der Termin ist mit der Mieterin oder dem Mieter fest vereinbart (sonst: Vorschlag)")

    def appointment(self) -> work_orders.Appointment:
        return work_orders.Appointment(self.on.data, self.start.data or "", self.until.data or "",
                                       bool(self.confirmed.data))


class DoneForm(Form):
    note = text_field("Notiz an die Genossenschaft (freiwillig)", work_orders.NOTE_MAX, area=True,
                      render_kw={"rows": 4})


def _invalid():
    """The same page for every link that is not open (410 like an Einladung's), whatever the reason."""
    return render("work_orders/invalid.html", status=410)


def _page(order, appointment: AppointmentForm, done: DoneForm, status: int = 200):
    return render("work_orders/answer.html", "work_orders/_answer.html", status=status,
                  view=work_orders.view_of(order), appointment=appointment, done=done,
                  appointment_text=work_orders.appointment_text)


def _forms(order):
    appointment, done = AppointmentForm(prefix="appointment"), DoneForm(prefix="done")
    if order.appointment_on and not appointment.is_submitted():
        appointment.on.data = order.appointment_on
        appointment.start.data, appointment.until.data = order.appointment_from, order.appointment_until
    return appointment, done


@bp.route("/<number>/<token>")
def answer(number, token):
    order = work_orders.by_link(number, token)
    if order is None:
        return _invalid()
    return _page(order, *_forms(order))


def _answered(number: str, token: str, which: str, apply, thanks: str):
    """One answer through the link: ``which`` of the page's two forms ("appointment" or "done"), ``apply(form)`` the
    service call; the thanks page after it, the page with the messages when refused, the neutral page when the link
    is not (or no longer) open."""
    order = work_orders.by_link(number, token)
    if order is None:
        return _invalid()
    forms = dict(zip(("appointment", "done"), _forms(order)))
    form = forms[which]
    if form.validate_on_submit():
        try:
            apply(form)
        except work_orders.InvalidLink:
            return _invalid()
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(thanks, "success")
            return redirect_after_post(url_for("work_orders.sent"))
    return _page(order, forms["appointment"], forms["done"], status=422)


@bp.route("/<number>/<token>/termin", methods=["POST"])
def appointment(number, token):
    return _answered(number, token, "appointment",
                     lambda form: work_orders.give_appointment(number, token, form.appointment()),
                     "Vielen Dank, der Termin ist übermittelt. Die Mieterin oder der Mieter und die Genossenschaft "
                     "sehen ihn. Eine Bestätigung mit dem Link für den nächsten Schritt ist per E-Mail unterwegs.")


@bp.route("/<number>/<token>/erledigt", methods=["POST"])
def done(number, token):
    return _answered(number, token, "done", lambda form: work_orders.report_done(number, token, form.note.data or ""),
                     "Vielen Dank, Ihre Erledigt-Meldung ist angekommen. Eine Bestätigung ist per E-Mail unterwegs.")


@bp.route("/gesendet")
def sent():
    """After an answer: the link is used up, so the page says so instead of showing the order again."""
    return render("work_orders/sent.html")
