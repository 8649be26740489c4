"""Neuigkeiten: the cooperative's news for the tenants' Startseite: list, write, edit, preview, delete; for all
tenants or chosen houses and streets (Aushänge), mailed to them when the clerk asks (wir.tasks.mail_news).

Editing and deleting forms carry the version of the item they were shown with: when a colleague changed or deleted
it meanwhile, nothing is applied (422) and the page says what changed, keeps the typed text and brings the version
up to date, so that sending it again is a deliberate choice.
"""

from flask import current_app, flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField, HiddenField
from wtforms.validators import AnyOf, InputRequired, Optional

from wir import clock, pagination, tasks
from wir.blueprints.staff import bp, chosen_cooperative, offer_cooperatives
from wir.forms import ChoiceField, Form, GermanDateField, options, reject, text_field
from wir.models import User
from wir.rendering import or_404, redirect_after_post, render
from wir.services import versions
from wir.services.home import news
from wir.services.rejections import Rejected

EDITOR_ID = "news-editor"
LIST_ID = "news-list"


class NewsForm(Form):
    cooperative = ChoiceField("Genossenschaft")  # admins writing a new one; staff write for their own
    title = text_field("Überschrift", news.TITLE_MAX, "Bitte geben Sie eine Überschrift ein.")
    body = text_field("Text", news.BODY_MAX, "Bitte schreiben Sie den Text der Neuigkeit.", area=True,
                      render_kw={"rows": 10})
    publish_on = GermanDateField("Sichtbar ab",
                                 validators=[InputRequired("Bitte geben Sie an, ab wann die Neuigkeit erscheint.")])
    expires_on = GermanDateField("Ausblenden am (freiwillig)", validators=[Optional()])
    audience = ChoiceField("Für wen?", choices=options(news.AUDIENCES.items()), default=news.ALL)
    # A cooperative has up to some hundred houses: a select multiple of them is hard to use without JavaScript (one
    # slip of Strg loses the choice, the chosen ones scroll out of sight) and checkboxes are a page long. So the
    # houses are typed or pasted, one address or street per line, and checked against the cooperative's units
    # (services.home.news.chosen_houses); a line that names none of them is refused next to the field.
    houses = text_field("Häuser und Straßen", news.HOUSES_MAX, area=True, render_kw={"rows": 6})
    notify = BooleanField("Mieterinnen und Mieter per E-Mail benachrichtigen")
    version = HiddenField()  # of the item being edited

    def draft(self) -> news.Draft:
        return news.Draft(self.title.data or "", self.body.data or "", self.publish_on.data, self.expires_on.data,
                          self.audience.data, self.houses.data or "", self.notify.data)


def _user() -> User:
    return current_user._get_current_object()


def _is_admin() -> bool:
    return current_user.role == User.ROLE_ADMIN


@bp.route("/neuigkeiten")
def news_list():
    """Neuigkeiten: every news item of the cooperative, latest start first, with whether tenants see it now."""
    page = pagination.paginate(news.staff_news(current_user), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    # only the page links ask for the list alone; HX-Location after saving needs the page (with its message)
    fragment = "staff/_news_list.html" if request.headers.get("HX-Target") == LIST_ID else None
    return render("staff/news.html", fragment, page=page, state=news.state, local_day=news.local_day)


def _editor(form, item=None, preview=None, status: int = 200, conflict=None):
    """The page, or for htmx the editor (form and preview) alone."""
    return render("staff/news_form.html", "staff/_news_editor.html", status=status, form=form, item=item,
                  preview=preview, editor_id=EDITOR_ID, today=clock.today(), conflict=conflict)


def _rebased(form, item, conflict: versions.Conflict):
    """After a conflict: the item as it is now (None when deleted), and the form based on that version."""
    current = None if conflict.gone else news.news_item_of(current_user, item.id)
    if current is not None:
        form.version.data = str(current.version)
    return current


def _save_or_preview(form, item, save):
    """Vorschau shows the item as tenants will see it, saving nothing; Speichern saves it (``save``)."""
    if request.method == "GET":
        return _editor(form, item)
    if not form.validate_on_submit():
        return _editor(form, item, status=422)
    try:
        if "vorschau" in request.form:
            cooperative = item.cooperative if item else chosen_cooperative(form)
            return _editor(form, item, preview=news.preview(form.draft(), cooperative))
        saved = save()
    except versions.Conflict as conflict:
        return _editor(form, _rebased(form, item, conflict) or item, status=422, conflict=conflict)
    except Rejected as rejected:
        reject(form, rejected)
        return _editor(form, item, status=422)
    flash(f"Die Neuigkeit „{saved.title}“ ist gespeichert ({news.state(saved)}).{_mailing(saved)}", "success")
    return redirect_after_post(url_for("staff.news_list"))


def _mailing(item) -> str:
    """Enqueue the item's mail after its transaction (a queue out of reach leaves it to the sweep); what happens."""
    state = news.state(item)
    if not item.notify or state == news.EXPIRED:
        return ""
    if state == news.PLANNED:
        return " Die E-Mails gehen an ihrem ersten Tag hinaus."
    try:
        tasks.mail_news(item.id)
    except Exception:
        current_app.logger.exception("E-Mails zur Neuigkeit %s nicht eingereiht", item.id)
    return " Die E-Mails werden verschickt (jede Person bekommt sie nur einmal)."



@bp.route("/neuigkeiten/neu", methods=["GET", "POST"])
def news_new():
    form = NewsForm(publish_on=clock.today())
    offer_cooperatives(form)
    return _save_or_preview(form, None, lambda: news.create(_user(), chosen_cooperative(form), form.draft()))


def _item(news_id: int):
    return or_404(news.news_item_of(current_user, news_id))


@bp.route("/neuigkeiten/<int:news_id>", methods=["GET", "POST"])
def news_edit(news_id):
    item = _item(news_id)
    form = NewsForm(title=item.title, body=item.body, publish_on=news.local_day(item.published_at),
                    expires_on=news.local_day(item.expires_at), audience=item.audience,
                    houses=news.houses_of(item), notify=item.notify)
    del form.cooperative
    if request.method == "GET":  # a POST names the version it was based on; without one it is refused as stale
        form.version.data = str(item.version)
    return _save_or_preview(form, item, lambda: news.update(_user(), item, form.draft(),
                                                             versions.parse(form.version.data)))


class DeleteForm(Form):
    # the answer of the confirmation page: a POST without it (a stray or replayed request) deletes nothing
    confirm = HiddenField(validators=[AnyOf(["ja"], message="Bitte bestätigen Sie das Löschen.")])
    version = HiddenField()  # of the item the confirmation page showed


@bp.route("/neuigkeiten/<int:news_id>/loeschen", methods=["GET", "POST"])
def news_delete(news_id):
    """Löschen asks once more; the item then disappears from the Startseite at once."""
    item = _item(news_id)
    form = DeleteForm()
    conflict = None
    if form.validate_on_submit():
        try:
            news.delete(_user(), item, versions.parse(form.version.data))
        except versions.Conflict as stale:
            conflict = stale
            item = _rebased(form, item, conflict) or item
        else:
            flash(f"Die Neuigkeit „{item.title}“ ist gelöscht.", "success")
            return redirect_after_post(url_for("staff.news_list"))
    elif request.method == "GET":
        form.version.data = str(item.version)
    return render("staff/news_delete.html", status=422 if form.errors or conflict else 200, item=item, form=form,
                  state=news.state(item), conflict=conflict)
