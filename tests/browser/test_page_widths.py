"""Every page of the portal at 320 px (a phone, or 1280 px zoomed to 400 %: WCAG 1.4.10 Reflow) and at 1280 px (a
clerk's screen) without sideways scrolling of the page: wide tables wrap into cards or scroll inside their own
container. The pages come from the page walk (tests/browser/page_walk.py), so a new page is checked too."""

import pytest

from tests.browser.helpers import assert_no_horizontal_scroll
from tests.browser.page_walk import WHO, pages, visit, walk_user

pytestmark = pytest.mark.browser

WIDTHS = (1280, 320)  # a clerk's screen; a phone, or that screen zoomed to 400 %

BOXES_SCROLLING = """() => Array.from(document.querySelectorAll('.table-scroll'))
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => (box.getAttribute('aria-labelledby') || '') + ' ' + box.scrollWidth + '>' + box.clientWidth)"""


@pytest.mark.parametrize("who", WHO)
def test_no_page_scrolls_sideways(new_page, users, demo_logins, live_server, who):
    """Each page is loaded once and laid out at both widths (the browser lays a page out anew when its window
    changes size, as when a desktop browser is zoomed)."""
    page = new_page("desktop", user=walk_user(who, users, demo_logins))
    walk = pages(page, who, live_server)
    problems = []
    for path in visit(page, [path for _, path in walk]):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 740 if width < 1000 else 900})
            try:
                assert_no_horizontal_scroll(page, width)
            except AssertionError as problem:
                problems.append(str(problem))
            # the one table pattern fits its column at both widths: nothing to scroll inside a table's box either
            # (a clerk sees „Wartet seit“ without scrolling the queue)
            boxes = page.evaluate(BOXES_SCROLLING)
            if boxes:
                problems.append(f"{path}: a table scrolls in its box at {width} px: {boxes}")
    assert not problems, f"{len(problems)} findings on the {len(walk)} pages of {who}:\n" + "\n".join(problems)
