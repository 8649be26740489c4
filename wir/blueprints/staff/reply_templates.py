"""Textbausteine: the cooperative's reply templates for the desk: list, write, edit, delete after asking.

Like the Neuigkeiten (staff/news.py) the editing and deleting forms carry the version they were shown with: a
colleague's change meanwhile is not overwritten unseen (422, the typed text kept, the version brought up to date).
"""

from flask import current_app, flash, request, url_for
from flask_login import current_user
from wtforms import HiddenField

from wir import pagination
from wir.blueprints.staff import bp, chosen_cooperative, offer_cooperatives
from wir.blueprints.staff.news import DeleteForm
from wir.forms import ChoiceField, Form, reject, text_field
from wir.models import User
from wir.rendering import or_404, redirect_after_post, render
from wir.services import versions
from wir.services.rejections import Rejected
from wir.services.staff import reply_templates

LIST_ID = "answer-template-list"


class TemplateForm(Form):
    cooperative = ChoiceField("Genossenschaft")  # admins writing a new one; staff write for their own
    title = text_field("Titel", reply_templates.TITLE_MAX, "Bitte geben Sie einen Titel ein.")
    body = text_field("Text", reply_templates.BODY_MAX, "Bitte schreiben Sie den Text des Textbausteins.", area=True,
                      render_kw={"rows": 12})
    version = HiddenField()  # of the template being edited

    def draft(self) -> reply_templates.Draft:
        return reply_templates.Draft(self.title.data or "", self.body.data or "")


def _user() -> User:
    return current_user._get_current_object()


def _is_admin() -> bool:
    return current_user.role == User.ROLE_ADMIN


@bp.route("/textbausteine")
def reply_templates_list():
    """Textbausteine: every template of the cooperative by title, with who changed it last."""
    page = pagination.paginate(reply_templates.staff_templates(current_user), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    fragment = "staff/_reply_template_list.html" if request.headers.get("HX-Target") == LIST_ID else None
    return render("staff/reply_templates.html", fragment, page=page, placeholders=reply_templates.PLACEHOLDERS)


def _editor(form, template=None, status: int = 200, conflict=None):
    return render("staff/reply_template_form.html", status=status, form=form, template=template, conflict=conflict,
                  placeholders=reply_templates.PLACEHOLDERS)


def _rebased(form, template, conflict: versions.Conflict):
    """After a conflict: the template as it is now (the one shown when deleted), the form based on its version."""
    current = None if conflict.gone else reply_templates.template_of(current_user, template.id)
    if current is not None:
        form.version.data = str(current.version)
    return current or template



def _save(form, template, save):
    if request.method == "GET":
        return _editor(form, template)
    if not form.validate_on_submit():
        return _editor(form, template, status=422)
    try:
        saved = save()
    except versions.Conflict as conflict:
        return _editor(form, _rebased(form, template, conflict), status=422, conflict=conflict)
    except Rejected as rejected:
        reject(form, rejected)
        return _editor(form, template, status=422)
    flash(f"Der Textbaustein „{saved.title}“ ist gespeichert.", "success")
    return redirect_after_post(url_for("staff.reply_templates_list"))


@bp.route("/textbausteine/neu", methods=["GET", "POST"])
def reply_template_new():
    form = TemplateForm()
    offer_cooperatives(form)
    return _save(form, None, lambda: reply_templates.create(_user(), chosen_cooperative(form), form.draft()))


def _template(template_id: int):
    return or_404(reply_templates.template_of(current_user, template_id))


@bp.route("/textbausteine/<int:template_id>", methods=["GET", "POST"])
def reply_template_edit(template_id):
    template = _template(template_id)
    form = TemplateForm(title=template.title, body=template.body)
    del form.cooperative
    if request.method == "GET":  # a POST names the version it was based on; without one it is refused as stale
        form.version.data = str(template.version)
    return _save(form, template, lambda: reply_templates.update(_user(), template, form.draft(),
                                                                 versions.parse(form.version.data)))


@bp.route("/textbausteine/<int:template_id>/loeschen", methods=["GET", "POST"])
def reply_template_delete(template_id):
    """Löschen asks once more; the template then disappears from the desk's choice at once."""
    template = _template(template_id)
    form = DeleteForm()
    conflict = None
    if form.validate_on_submit():
        try:
            reply_templates.delete(_user(), template, versions.parse(form.version.data))
        except versions.Conflict as stale:
            conflict = stale
            template = _rebased(form, template, conflict)
        else:
            flash(f"Der Textbaustein „{template.title}“ ist gelöscht.", "success")
            return redirect_after_post(url_for("staff.reply_templates_list"))
    elif request.method == "GET":
        form.version.data = str(template.version)
    return render("staff/reply_template_delete.html", status=422 if form.errors or conflict else 200,
                  template=template, form=form, conflict=conflict)
