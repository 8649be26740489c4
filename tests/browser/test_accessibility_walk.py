"""Every page of the portal, loaded once at 1280 px with JavaScript on (axe needs it; HTMLCS reads the page after htmx
has done what it does on load), as a clerk works, then laid out again at 320 px (a phone, or 1280 px zoomed to
400 %: WCAG 1.4.10 Reflow; the browser lays a page out anew when its window changes size):

- pa11y's two checkers with zero findings: axe-core (serious and critical) and HTML_CodeSniffer's WCAG2AA rules
  (errors);
- no sideways scrolling of the page at either width: wide tables wrap into cards or scroll inside their own
  container, and the one table pattern fits its column (nothing scrolls inside a table's box either).

The pages come from the page walk (tests/browser/page_walk.py): every staff page (a clerk of Lipsia, the admin),
every savings page (the saver), the tenant's and the public pages, so a new page is checked too."""

import pytest

from tests.browser.helpers import (
    assert_no_horizontal_scroll,
    axe_violations,
    format_htmlcs,
    format_violations,
    htmlcs_findings,
    wait_for_htmx,
)
from tests.browser.page_walk import WHO, pages, visit, walk_user

pytestmark = pytest.mark.browser

WIDTHS = (320, 1280)  # back at 1280 last: the next page loads (and is checked) at a clerk's width

BOXES_SCROLLING = """() => Array.from(document.querySelectorAll('.table-scroll'))
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => (box.getAttribute('aria-labelledby') || '') + ' ' + box.scrollWidth + '>' + box.clientWidth)"""


def _checked_by_axe(who: str, path: str) -> bool:
    """The saver's walk includes the tenant pages, checked by the tenant's walk already: only /sparen/ here (their
    widths are measured, as a Lipsia tenant's pages differ from an Elsteraue tenant's)."""
    return who != "saver" or path.startswith("/sparen/")


def _sideways(page, path: str) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 740 if width < 1000 else 900})
        try:
            assert_no_horizontal_scroll(page, width)
        except AssertionError as problem:
            problems.append(str(problem))
        boxes = page.evaluate(BOXES_SCROLLING)
        if boxes:
            problems.append(f"{path}: a table scrolls in its box at {width} px: {boxes}")
    return problems


@pytest.mark.parametrize("who", WHO)
def test_every_page_without_findings(new_page, users, demo_logins, live_server, who):
    page = new_page("desktop", user=walk_user(who, users, demo_logins))
    paths = [path for _, path in pages(page, who, live_server)]
    assert paths, f"the page walk found no pages for {who}"
    problems = []
    for path in visit(page, paths):
        if _checked_by_axe(who, path):
            wait_for_htmx(page)
            violations = axe_violations(page)
            if violations:
                problems.append(f"{path}: axe-core\n{format_violations(violations)}")
            findings = htmlcs_findings(page)
            if findings:
                problems.append(f"{path}: HTML_CodeSniffer WCAG2AA\n{format_htmlcs(findings)}")
        problems += _sideways(page, path)
    assert not problems, (f"{len(problems)} findings on the {len(paths)} pages of {who}:\n" + "\n".join(problems))


# What pa11y found on the portal before it was fixed: two forms' CSRF fields with one id, a sum row whose header
# spans the columns of others, an address field's autofill token on a single-line input.
FAULTY = """<!doctype html><html lang="de"><head><title>Fehler</title></head><body><main><h1>Fehler</h1>
<form method="post"><input type="hidden" name="csrf_token" id="csrf_token" value="a"><button>Veröffentlichen</button></form>
<form method="post"><input type="hidden" name="csrf_token" id="csrf_token" value="a"><button>Verwerfen</button></form>
<table><caption>Sparverträge</caption>
<thead><tr><th scope="col">Sparvertrag</th><th scope="col">Zinssatz</th><th scope="col">Kontostand</th></tr></thead>
<tbody><tr><th scope="row">Spareinlage</th><td>1 %</td><td>100 €</td></tr></tbody>
<tfoot><tr><th scope="row" colspan="2">Summe</th><td>100 €</td></tr></tfoot></table>
<form method="post"><label for="street">Straße</label><input type="text" id="street" autocomplete="street-address">
<button>Senden</button></form></main></body></html>"""


def test_the_checker_finds_what_pa11y_found(new_page):
    """HTML_CodeSniffer runs in the page and reports its errors: the walk's zero is not the zero of a checker
    that did not run."""
    page = new_page("desktop")
    page.set_content(FAULTY)
    found = "\n".join(finding["code"] for finding in htmlcs_findings(page))
    assert "1_3_1.H43.HeadersRequired" in found, found  # the sum row's header spans other columns
    assert "1_3_5.H98" in found, found  # an address's autofill token on a single-line input
    assert "4_1_1.F77" in found, found  # duplicate id


def test_the_width_check_finds_a_page_wider_than_the_window(new_page):
    """The walk's zero sideways findings is not the zero of a check that cannot see one: a 500 px block and a table
    box that scrolls are reported at 320 px, and the window is back at 1280 px for the next page."""
    page = new_page("desktop")
    page.set_content('<!doctype html><html lang="de"><body style="margin:0"><div style="width:500px">breit</div>'
                     '<div class="table-scroll" style="overflow-x:auto;width:100px"><div style="width:300px">x</div>'
                     '</div></body></html>')
    problems = _sideways(page, "/breit")
    assert any("horizontal scrollbar at 320 px" in problem for problem in problems), problems
    assert any("a table scrolls in its box at 1280 px" in problem for problem in problems), problems
    assert page.viewport_size["width"] == 1280
