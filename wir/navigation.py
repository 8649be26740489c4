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


def fixed_url(endpoint: str, **values) -> str:
    """url_for for a URL that is the same on every page, such as the layout's (no values, or always the same ones:
    a static file): built once per app and app root, not on every page (two dozen url_for were a tenth of the
    layout's time). The root (SCRIPT_NAME: a proxy that mounts the portal under a prefix) is part of the key; like
    url_for without _external the URL is a path, so neither host nor scheme (WIR_PROXY_HOPS) matter."""
    urls = current_app.extensions["wir.fixed_urls"]
    key = (request.script_root, endpoint, *values.items())
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, **values)
    return url


def init_app(app):
    app.extensions["wir.fixed_urls"] = {}
    app.context_processor(lambda: {"viewer": viewer()})
    app.add_template_global(fixed_url)
