"""What the layout shows of the signed-in user (name, cooperatives, whether Sparen appears), and its URLs.

Its persons are those whose data the pages show: the user's own, or while acting for someone (wir.acting) that
one person only."""

from dataclasses import dataclass

from flask import current_app, g, has_request_context, request, url_for
from flask_login import current_user

from wir import acting
from wir.models import Cooperative, Person, Representation
from wir.security import fully_signed_in
from wir.services import scope


@dataclass
class Viewer:
    name: str
    persons: list[Person]
    cooperatives: list[Cooperative]
    is_staff: bool
    # acting for someone (Vertretung): ``persons`` is the one person acted for, ``name`` the representative's
    acting: Representation | None = None

    @property
    def has_savings(self) -> bool:
        return any(c.has_savings for c in self.cooperatives)

    @property
    def unread_documents(self) -> int:
        """Documents not opened yet: the number beside Dokumente (loaded with the persons)."""
        return sum(person.unread_documents for person in self.persons)


def viewer() -> Viewer | None:
    """The signed-in user as the layout needs it, loaded once per request; None before the second step of staff."""
    if not has_request_context() or not fully_signed_in():
        return None
    if "viewer" not in g:
        if current_user.is_staff:
            cooperatives = [current_user.cooperative] if current_user.cooperative_id else []
            g.viewer = Viewer(current_user.staff_name or current_user.email, [], cooperatives, True)
        elif (representation := acting.current()) is not None:
            person = representation.person
            g.viewer = Viewer(representation.name, [person], [person.cooperative], False, representation)
        else:
            persons = scope.persons_of(current_user)
            name = persons[0].full_name if persons else current_user.email
            g.viewer = Viewer(name, persons, [p.cooperative for p in persons], False)
    return g.viewer


class _FixedUrls:
    """The URLs that are the same on every page under one app root, each built once (two dozen url_for were a
    tenth of the layout's time)."""

    def __init__(self):
        self._urls = {}

    def __call__(self, endpoint: str, **values) -> str:
        key = (endpoint, *values.items())
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = url_for(endpoint, **values)
        return url


def fixed_url(endpoint: str, **values) -> str:
    """url_for for a URL that is the same on every page, such as the layout's (no values, or always the same ones:
    a static file), built once per app and app root. The root (SCRIPT_NAME: a proxy that mounts the portal under a
    prefix) chooses the table; like url_for without _external the URL is a path, so neither host nor scheme
    (WIR_PROXY_HOPS) matter."""
    return _fixed_urls()(endpoint, **values)


def _fixed_urls() -> _FixedUrls:
    tables = current_app.extensions["wir.fixed_urls"]
    root = request.script_root
    table = tables.get(root)
    if table is None:
        table = tables.setdefault(root, _FixedUrls())
    return table


def _layout_context() -> dict:
    # a template's fixed_url is the request's table itself: the layout's two dozen calls then look up neither the
    # app nor the request (imported macros, which see no context, use the global fixed_url)
    if not has_request_context():
        return {"viewer": None}
    return {"viewer": viewer(), "fixed_url": _fixed_urls()}


def init_app(app):
    app.extensions["wir.fixed_urls"] = {}
    app.context_processor(_layout_context)
    app.add_template_global(fixed_url)
