"""pa11y's two checkers on every page of the portal: axe-core (serious and critical) and HTML_CodeSniffer's WCAG2AA
rules (errors), with zero findings. The pages come from the page walk (tests/browser/page_walk.py): every staff
page (a clerk of Lipsia, the admin), every savings page (the saver), the tenant's and the public pages — so a new
page is checked too. At 1280 px with JavaScript on, as a clerk works (axe needs JavaScript; HTMLCS reads the page
after htmx has done what it does on load)."""

import pytest

from tests.browser.helpers import (
    axe_violations,
    format_htmlcs,
    format_violations,
    htmlcs_findings,
    wait_for_htmx,
)
from tests.browser.page_walk import WHO, pages, visit, walk_user

pytestmark = pytest.mark.browser


def _walked(who: str, walk: list[tuple[str, str]]) -> list[str]:
    """The saver's walk includes the tenant pages (walked by the tenant already): only /sparen/ here."""
    paths = [path for _, path in walk]
    return [path for path in paths if path.startswith("/sparen/")] if who == "saver" else paths


@pytest.mark.parametrize("who", WHO)
def test_every_page_without_findings(new_page, users, demo_logins, live_server, who):
    page = new_page("desktop", user=walk_user(who, users, demo_logins))
    paths = _walked(who, pages(page, who, live_server))
    assert paths, f"the page walk found no pages for {who}"
    problems = []
    for path in visit(page, paths):
        wait_for_htmx(page)
        violations = axe_violations(page)
        if violations:
            problems.append(f"{path}: axe-core\n{format_violations(violations)}")
        findings = htmlcs_findings(page)
        if findings:
            problems.append(f"{path}: HTML_CodeSniffer WCAG2AA\n{format_htmlcs(findings)}")
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
