"""The portal's one form base (wir.forms.Form): no two elements of a page share an id because of a form's hidden
fields (two forms on one page: Veröffentlichen and Verwerfen of the staff upload's preview)."""

import re

from flask_wtf import FlaskForm
from wtforms import StringField

from wir.forms import EmptyForm, Form, RequestForm


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_the_portal_derives_from_the_one_base(app):
    forms = {cls for cls in _subclasses(FlaskForm) if cls.__module__.startswith("wir.")}
    assert len(forms) > 30, "create_app should have imported every blueprint's forms"
    bare = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in forms if not issubclass(cls, Form))
    assert not bare, f"forms that render their hidden fields with ids (derive them from wir.forms.Form): {bare}"


class _NamedForm(Form):
    name = StringField("Name")


def test_two_forms_on_one_page_have_no_id_in_common(app):
    with app.test_request_context():
        fields = [field() for form in (RequestForm(), RequestForm()) for field in (form.csrf_token, form.submission_key)]
        page = "".join(str(html) for html in [*fields, EmptyForm().csrf_token()])
        named = _NamedForm()
        field = named.name()
    assert page.count('name="csrf_token"') == 3 and page.count('name="submission_key"') == 2
    assert page.count('type="hidden"') == 5
    assert re.findall(r'\bid="', page) == [], page
    # visible fields keep the id their label and the error summary's link point at
    assert 'id="name"' in field and named.name.label().startswith('<label for="name"')
    # an id given in the template is kept, hidden or not
    with app.test_request_context():
        assert 'id="schluessel"' in RequestForm().submission_key(id="schluessel")
