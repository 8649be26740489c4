"""Live regions stay outside what htmx swaps (issue 26, WCAG 4.1.3): a status message inside a swapped element is
replaced already filled and often not read aloud. Every page with an hx-target (tenant, staff and admin pages
without URL parameters, the ticket desk, the Kontakt form, a Registrierungsbriefe job and an import run) is
rendered with the test client and parsed; for each element that makes htmx requests its target is resolved
(hx-target inherited like htmx does: ``this``, ``#id``; else the element itself) with its swap style, and no
element with aria-live or role=status/log may lie inside it. A target with ``innerHTML`` may itself be the live
region (it stays in the page; only what it says changes). The fragments answered to htmx requests carry no live
region at all: they fill the page's regions out of band (hx-swap-oob="innerHTML").
"""

import re
from html.parser import HTMLParser

import pytest

from tests.browser.page_walk import page_rules, who_sees
from tests.helpers import htmx
from tests.test_staff_access import _erp_import, _letter_batch
from wir import db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
REQUESTS = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete")
LIVE_ROLES = {"status", "log"}
HTMX = {"HX-Request": "true"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def closest_attr(self, name):
        node = self
        while node is not None:
            if name in node.attrs:
                return node, node.attrs[name]
            node = node.parent
        return None, None

    def __repr__(self):
        shown = {k: v for k, v in self.attrs.items() if k in ("id", "class", "aria-live", "role", "hx-swap-oob")}
        return f"<{self.tag} {shown}>"


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    return builder.root


def is_live(node: Node) -> bool:
    return "aria-live" in node.attrs or node.attrs.get("role") in LIVE_ROLES


def swap_targets(root: Node) -> list[tuple[Node, str, Node]]:
    """(target, swap style, requesting element) for every element of the page that makes htmx requests."""
    by_id = {n.attrs["id"]: n for n in root.walk() if "id" in n.attrs}
    found = []
    for node in root.walk():
        if not any(name in node.attrs for name in REQUESTS):
            continue
        holder, target = node.closest_attr("hx-target")
        _, swap = node.closest_attr("hx-swap")
        style = (swap or "innerHTML").split()[0]
        if style == "none":
            continue
        if target is None:
            resolved = node
        elif target == "this":
            resolved = holder
        elif target.startswith("#"):
            resolved = by_id.get(target[1:])
            assert resolved is not None, f"hx-target {target} of {node} is not in the page"
        elif target == "body":
            resolved = next(n for n in root.walk() if n.tag == "body")
        else:
            raise AssertionError(f"hx-target {target!r} of {node}: teach this test to resolve it")
        found.append((resolved, style, node))
    return found


def live_regions_inside_targets(html: str) -> list[str]:
    targets = swap_targets(parse(html))
    # a region that its own requests fill (innerHTML: the password rules, the bank check) stays while it speaks;
    # when the form around it is sent, focus goes to the summary or the next page instead
    kept = [target for target, style, _ in targets if style == "innerHTML"]
    problems = []
    for target, style, requester in targets:
        for node in target.walk():
            if is_live(node) and not any(node is k for k in kept):
                problems.append(f"{node} inside {target} ({style}, swapped by {requester})")
    return problems


def live_regions_in_fragment(html: str) -> list[str]:
    return [repr(node) for node in parse(html).walk() if is_live(node)]


def test_the_checks_find_what_they_look_for():
    """The checks are not blind: a region inside a swapped element, or in a fragment, is found."""
    inside = '<div id="x" hx-get="/a" hx-target="this" hx-swap="outerHTML"><p aria-live="polite">1</p></div>'
    assert live_regions_inside_targets(inside)
    by_id = '<form hx-post="/a" hx-target="#t"></form><div id="t"><p role="status">1</p></div>'
    assert live_regions_inside_targets(by_id)
    inherited = '<div hx-target="this" hx-swap="outerHTML"><p role="status"></p><select hx-post="/a"></select></div>'
    assert live_regions_inside_targets(inherited)
    kept_while_inside = ('<form hx-post="/a" hx-target="this" hx-swap="outerHTML"><input hx-post="/c" '
                         'hx-target="#c" hx-swap="innerHTML"><p id="c" aria-live="polite"></p></form>')
    assert not live_regions_inside_targets(kept_while_inside)
    outside = ('<p id="s" aria-live="polite"></p><div id="x" hx-get="/a" hx-target="this" hx-swap="outerHTML">'
               '<p>1</p></div><div id="c" aria-live="polite" hx-get="/b" hx-target="this" hx-swap="innerHTML"></div>')
    assert not live_regions_inside_targets(outside)
    assert live_regions_in_fragment('<div><p role="status">x</p></div>')
    assert not live_regions_in_fragment('<p id="s" hx-swap-oob="innerHTML">x</p><div id="x"></div>')


def _pages_of(app, who: str) -> list[str]:
    return [rule.rule for rule in page_rules(app) if not rule.arguments and who_sees(rule) == who
            and not rule.rule.startswith("/abmelden")]


def _assert_pages(client, paths: list[str]) -> int:
    """Checks each page that has a swap target; returns how many had one."""
    with_targets = 0
    for path in paths:
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        if "hx-" not in html or not swap_targets(parse(html)):
            continue
        with_targets += 1
        assert not live_regions_inside_targets(html), (path, live_regions_inside_targets(html))
    return with_targets


def test_no_live_region_of_a_tenant_page_is_swapped(app, client, auth):
    auth.login_as("juergen")
    assert _assert_pages(client, _pages_of(app, "tenant") + ["/kontakt"]) >= 3


@pytest.mark.parametrize("index", [0])
def test_no_live_region_of_a_staff_page_is_swapped(app, client, auth, demo_logins, index):
    auth.login_staff(index)
    queue = client.get("/intern/meldungen").get_data(as_text=True)
    number = re.search(r'href="/intern/meldungen/([LE]-\d{4}-\d{4})', queue).group(1)
    assert _assert_pages(client, _pages_of(app, "staff") + [f"/intern/meldungen/{number}"]) >= 3


def test_no_live_region_of_an_admin_page_is_swapped(app, client, auth, demo_logins):
    auth.login_with_code(demo_logins["admin"])
    with app.test_request_context(), db.database.connection_context():
        batch, run = _letter_batch("lipsia"), _erp_import("lipsia")
    paths = [f"/intern/registrierungsbriefe/auftrag/{batch.id}", f"/intern/import/{run.id}"]
    assert _assert_pages(client, _pages_of(app, "admin") + _pages_of(app, "staff") + paths) >= 3


def test_htmx_answers_fill_the_live_regions_out_of_band(app, client, auth, demo_logins):
    auth.login_staff()
    queue = client.get("/intern/meldungen").get_data(as_text=True)
    number = re.search(r'href="/intern/meldungen/([LE]-\d{4}-\d{4})', queue).group(1)
    page = client.get(f"/intern/meldungen/{number}").get_data(as_text=True)
    fields = {node.attrs["name"]: node.attrs.get("value", "") for node in parse(page).walk()
              if node.tag == "input" and node.attrs.get("name", "").startswith("note-")}
    answer = client.post(f"/intern/meldungen/{number}/notiz", headers=HTMX, data={**fields, "note-note": "Notiz"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and '<div id="desk-status" hx-swap-oob="innerHTML">' in html
    oob = html.split('<div id="desk-status" hx-swap-oob="innerHTML">', 1)[1].split("</div>", 1)[0]
    assert "Die interne Notiz ist gespeichert." in oob  # said in the live region
    assert not live_regions_in_fragment(html), live_regions_in_fragment(html)

    with app.test_request_context(), db.database.connection_context():
        batch, run = _letter_batch("lipsia"), _erp_import("lipsia")
    auth.logout()
    auth.login_with_code(demo_logins["admin"])
    for path, region in [(f"/intern/registrierungsbriefe/auftrag/{batch.id}", "letter-batch-status"),
                         (f"/intern/import/{run.id}", "erp-import-status")]:
        whole = client.get(path).get_data(as_text=True)
        assert f'id="{region}" class="visually-hidden" role="status" aria-live="polite"' in whole, path
        fragment = client.get(path, headers=HTMX).get_data(as_text=True)
        assert f'<p id="{region}" hx-swap-oob="innerHTML">' in fragment, path
        assert not live_regions_in_fragment(fragment), (path, live_regions_in_fragment(fragment))


def test_the_phone_editor_says_a_change_in_the_page_region(client, auth, data):
    """The phone editor is swapped as a whole: what a change did goes into #phones-status, which stays in the page."""
    auth.login_as("gisela")
    page = client.get("/konto/kontaktdaten").get_data(as_text=True)
    assert '<div id="phones-status" role="status" aria-live="polite"></div>' in page
    assert not live_regions_inside_targets(page), live_regions_inside_targets(page)
    answer = client.post("/konto/telefon/neu", data={"kind": "work", "number": "+44 20 7946 0958"},
                         headers=htmx(auth))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and '<div id="phones-status" hx-swap-oob="innerHTML">' in html
    said = html.split('<div id="phones-status" hx-swap-oob="innerHTML">', 1)[1].split("</div>", 1)[0]
    assert "Die Telefonnummer wurde hinzugefügt." in said and "autofocus" in said
    assert not live_regions_in_fragment(html), live_regions_in_fragment(html)
    cancelled = client.get("/konto/telefon", headers=HTMX).get_data(as_text=True)  # nothing changed: nothing said
    assert re.search(r'<div id="phones-status" hx-swap-oob="innerHTML">\s*</div>', cancelled), cancelled
