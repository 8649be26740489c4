"""Meldungen: the queue of the cooperative's tickets with filters, search, sort and pages, refreshing itself."""

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, request, url_for
from flask_login import current_user
from wtforms.validators import NumberRange, Optional

from wir import clock
from wir.blueprints.staff import bp
from wir.forms import ChoiceField, Form, GermanIntegerField, options, text_field
from wir.rendering import render
from wir.services.staff import staff_queue

QUEUE_ID = "queue"  # the element the filter, sort and page links replace (form and table)


class QueueFilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    suche = text_field("Suche", staff_queue.SEARCH_MAX, filters=[staff_queue.clean_search],
                       render_kw={"type": "search", "spellcheck": "false"})
    status = ChoiceField("Status", default=staff_queue.OPEN)
    art = ChoiceField("Meldungsart", default="")
    kategorie = ChoiceField("Meldungskategorie", default="")
    zugewiesen = ChoiceField("Zugewiesen an", default="")
    anliegen = ChoiceField("Anliegen", default="")
    wartet = GermanIntegerField(
        "Wartet auf uns länger als (Arbeitstage)",
        validators=[Optional(), NumberRange(min=1, max=staff_queue.MAX_WORKING_DAYS,
                                            message=f"Bitte geben Sie 1 bis {staff_queue.MAX_WORKING_DAYS} "
                                                    "Arbeitstage an.")],
        render_kw={"inputmode": "numeric"},
    )
    sortierung = ChoiceField("Sortierung", default=staff_queue.WAITING_FIRST)

    def selection(self) -> staff_queue.Selection | None:
        """The chosen tickets, or None with the messages next to the fields."""
        if not self.validate():
            return None
        return staff_queue.Selection(
            status=self.status.data,
            ticket_type_id=int(self.art.data) if self.art.data else None,
            category_id=int(self.kategorie.data) if self.kategorie.data else None,
            assigned=self.zugewiesen.data,
            waiting_days=self.wartet.data,
            search=self.suche.data or "",
            concern=self.anliegen.data,
            sort=self.sortierung.data,
        )


def _with_cooperative(name: str, cooperative) -> str:
    """Admins see both cooperatives' choices: each says whose it is."""
    return f"{name} ({cooperative.name})" if current_user.cooperative_id is None else name


def _colleague_label(user) -> str:
    name = user.staff_name or user.email
    return _with_cooperative(name, user.cooperative) if user.cooperative_id else name


def _filter_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.status.choices = options(staff_queue.STATUS_FILTERS.items())
    form.art.choices = options(
        ((t.id, _with_cooperative(t.name, t.cooperative)) for t in staff_queue.ticket_types(current_user)),
        empty="Alle Meldungsarten",
    )
    form.kategorie.choices = options(
        ((c.id, _with_cooperative(f"{c.name} – {c.ticket_type.name}", c.ticket_type.cooperative))
         for c in staff_queue.categories(current_user)),
        empty="Alle Meldungskategorien",
    )
    form.zugewiesen.choices = options(
        [(staff_queue.ME, "mir"), (staff_queue.NOBODY, "niemandem")]
        + [(u.id, _colleague_label(u)) for u in staff_queue.colleagues(current_user)],
        empty="allen",
    )
    form.anliegen.choices = options(staff_queue.CONCERNS.items(), empty="Alle Anliegen")
    form.sortierung.choices = options(staff_queue.SORTS.items())
    return form


def _params(selection: staff_queue.Selection) -> dict:
    """The selection as the form sends it, for the sort, page and poll links (defaults left out)."""
    default = staff_queue.Selection()
    return {
        "suche": selection.search or None,
        "status": selection.status if selection.status != default.status else None,
        "art": selection.ticket_type_id,
        "kategorie": selection.category_id,
        "zugewiesen": selection.assigned or None,
        "anliegen": selection.concern or None,
        "wartet": selection.waiting_days,
        "sortierung": selection.sort if selection.sort != default.sort else None,
    }


def _list_query(params: dict, page) -> str:
    """The queue's own query string (the selection and its page) for the ticket links."""
    args = {**params, "seite": page.page if page.page > 1 else None}
    return urlencode({name: value for name, value in args.items() if value is not None})


def opened_from() -> str | None:
    """The queue's query string a ticket page was opened with (``liste``), for its forms to pass on."""
    return request.args.get("liste") or None


def back_to_queue() -> str:
    """The queue the clerk opened the ticket from: only the queue's own arguments of ``liste`` are kept (the queue
    checks their values as always); without it the open queue."""
    names = {*_params(staff_queue.Selection()), "seite"}
    return url_for("staff.queue", **{name: value for name, value in parse_qsl(opened_from() or "") if name in names})


def _context(form, selection, since: datetime, changed=()) -> dict:
    page = staff_queue.page_of(current_user, selection, request.args.get("seite")) if selection else None
    params = _params(selection) if selection else {}
    return {
        "form": form, "selection": selection, "page": page, "params": params,
        # a ticket opened from the queue carries it as ``liste``: the desk leads back to the same list
        "list_query": _list_query(params, page) if page else "",
        "queue_id": QUEUE_ID, "poll_since": since, "poll_seconds": current_app.config["STATUS_POLL_SECONDS"],
        "overdue_before": staff_queue.waiting_cutoff(staff_queue.OVERDUE_WORKING_DAYS),
        "overdue_days": staff_queue.OVERDUE_WORKING_DAYS, "changed": changed,
    }


@bp.route("/meldungen")
def queue():
    """Meldungen: the cooperative's tickets, open ones waiting longest first unless the filter says otherwise."""
    # the point in time the poll starts from, taken before the rows so that no change falls between
    since = staff_queue.last_activity(current_user) or clock.now()
    form = _filter_form()
    selection = form.selection()
    # only the filter, sort and page links ask for the queue alone
    fragment = "staff/_queue.html" if request.headers.get("HX-Target") == QUEUE_ID else None
    return render("staff/queue.html", fragment, status=200 if selection else 422,
                  **_context(form, selection, since))


@bp.route("/meldungen/aenderungen")
def queue_changes():
    """The queue's poll (every STATUS_POLL_SECONDS): 204 when no ticket changed since ``seit``, else the table
    anew with the new and changed rows marked and announced."""
    try:
        since = datetime.fromisoformat(request.args["seit"])
    except (KeyError, ValueError):
        abort(400)
    if since.tzinfo is not None:  # the page sends the stored form: UTC without a zone
        abort(400)
    latest = staff_queue.last_activity(current_user)
    if latest is None or latest <= since:
        return "", 204
    form = _filter_form()
    selection = form.selection()
    if selection is None:  # the page polls only with a valid selection
        abort(400)
    context = _context(form, selection, latest)
    context["changed"] = {t.id: ("neu" if t.created_at > since else "geändert")
                          for t in context["page"].items if t.activity_at > since}
    return render("staff/_queue_poll.html", **context)
