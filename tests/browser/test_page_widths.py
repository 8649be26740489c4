"""Every page of the portal at 320 px (a phone, or 1280 px zoomed to 400 %: WCAG 1.4.10 Reflow) and at 1280 px (a
clerk's screen) without sideways scrolling of the page: wide tables wrap into cards or scroll inside their own
container. The pages come from the page walk (tests/browser/page_walk.py), so a new page is checked too."""

import pytest

from tests.browser.helpers import assert_no_horizontal_scroll
from tests.browser.page_walk import WHO, pages, visit, walk_user

pytestmark = pytest.mark.browser

WIDTHS = {320: "phone", 1280: "desktop"}

BOXES_SCROLLING = """() => Array.from(document.querySelectorAll('.table-scroll'))
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => (box.getAttribute('aria-labelledby') || '') + ' ' + box.scrollWidth + '>' + box.clientWidth)"""


@pytest.fixture(scope="module")
def walks():
    """The page walk of each user, found once per module."""
    return {}


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("who", WHO)
def test_no_page_scrolls_sideways(new_page, users, demo_logins, live_server, walks, who, width):
    page = new_page(WIDTHS[width], user=walk_user(who, users, demo_logins))
    page.set_viewport_size({"width": width, "height": 740 if width < 1000 else 900})
    if who not in walks:
        walks[who] = pages(page, who, live_server)
    problems = []
    for path in visit(page, [path for _, path in walks[who]]):
        try:
            assert_no_horizontal_scroll(page, width)
        except AssertionError as problem:
            problems.append(str(problem))
        # the one table pattern fits its column at both widths: nothing to scroll inside a table's box either
        # (a clerk sees „Wartet seit“ without scrolling the queue)
        boxes = page.evaluate(BOXES_SCROLLING)
        if boxes:
            problems.append(f"{path}: a table scrolls in its box at {width} px: {boxes}")
    assert not problems, f"{len(problems)} of {len(walks[who])} pages of {who} scroll sideways:\n" + "\n".join(problems)
