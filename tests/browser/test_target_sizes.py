"""Everything a tenant taps is at least 44 × 44 CSS px on a 360 px phone (WCAG 2.5.5 Target Size): every visible link,
button, input, select, textarea and summary of every page a tenant or saver sees, and of the public pages they use
(Anmelden, Registrieren, Passwort vergessen …). The pages come from the page walk (tests/browser/page_walk.py), so a
new page is measured too.

What counts as the target, and the exceptions (each narrow):
- a checkbox or radio button: the box together with its label (a click on the label ticks the box), measured as the
  smallest rectangle around both;
- a link in running text (WCAG's "inline" exception): a link displayed inline inside a <p>, <li> or <dd> that holds
  visible text outside the link („Wie wir Ihre Daten verarbeiten, erklären die <a>Datenschutzhinweise</a>.“,
  „E-Mail: <a>…</a>“). A link alone in its block (a Meldung's title in a table cell, „Abbrechen“ below a form, a
  phone number in a list of facts) and a breadcrumb's links are no running text and must be 44 px high;
- what is not shown: hidden inputs, elements without a box (display: none, the content of a closed <details>) and
  the skip link while it waits above the page (measured once it has the focus, as a keyboard user sees it).
"""

import pytest

from tests.browser.helpers import wait_for_htmx
from tests.browser.page_walk import pages, visit, walk_user

pytestmark = pytest.mark.browser

MIN_SIZE = 44  # CSS px, WCAG 2.5.5
PHONE_WIDTH = 360

# One page.evaluate per page: every target that is smaller than min_size, with what names it.
SMALL_TARGETS = """(minSize) => {
  const TARGETS = 'a[href], button, input, select, textarea, summary';
  const PROSE = new Set(['P', 'LI', 'DD']);
  const INLINE = new Set(['inline', 'inline-block', 'inline-flex', 'inline-grid', 'contents']);
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  // the smallest rectangle around the boxes of several elements (a checkbox and its label)
  const around = (els) => {
    const rects = els.filter(shown).map((el) => el.getBoundingClientRect());
    if (!rects.length) return null;
    const left = Math.min(...rects.map((r) => r.left)), right = Math.max(...rects.map((r) => r.right));
    const top = Math.min(...rects.map((r) => r.top)), bottom = Math.max(...rects.map((r) => r.bottom));
    return {width: right - left, height: bottom - top, top, bottom};
  };
  // the nearest ancestor that is not laid out inline: the block whose lines hold the link
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && INLINE.has(getComputedStyle(node).display)) node = node.parentElement;
    return node;
  };
  // WCAG's inline exception: an inline link in a paragraph, list item or definition (not a breadcrumb: that is
  // navigation) that holds visible text outside the link
  const inRunningText = (link) => {
    if (link.tagName !== 'A' || getComputedStyle(link).display !== 'inline') return false;
    const block = blockOf(link);
    if (!block || !PROSE.has(block.tagName) || block.closest('.breadcrumb')) return false;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      if (link.contains(text) || !text.data.trim()) continue;
      const parent = text.parentElement;
      if (shown(parent) && !parent.closest('.visually-hidden')) return true;
    }
    return false;
  };
  const describe = (el) => {
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || el.id || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 50);
    const type = el.tagName === 'INPUT' ? '[type=' + el.type + ']' : '';
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return el.tagName.toLowerCase() + type + cls + (name ? ' „' + name + '“' : '');
  };
  const small = [];
  for (const el of document.querySelectorAll(TARGETS)) {
    if (el.type === 'hidden' || !shown(el)) continue;
    // the skip link hides above the page until it has the focus (measured then, by the test)
    if (el.classList.contains('skip-link') && el !== document.activeElement) continue;
    let box;
    if (el.type === 'checkbox' || el.type === 'radio') box = around([el, ...el.labels]);
    else box = around([el]);
    if (!box || inRunningText(el)) continue;
    if (box.width < minSize - 0.01 || box.height < minSize - 0.01) {
      small.push(describe(el) + ' ' + box.width.toFixed(1) + ' × ' + box.height.toFixed(1) + ' px');
    }
  }
  return small;
}"""


@pytest.fixture(scope="module")
def walks():
    """The page walk of each user, found once per module."""
    return {}


@pytest.mark.parametrize("who", ["anonymous", "tenant", "saver"])
def test_every_target_is_at_least_44_px(new_page, users, demo_logins, live_server, walks, who):
    page = new_page("phone", user=walk_user(who, users, demo_logins))
    assert page.viewport_size["width"] == PHONE_WIDTH
    if who not in walks:
        walks[who] = pages(page, who, live_server)
    problems = []
    for path in visit(page, [path for _, path in walks[who]]):
        wait_for_htmx(page)
        small = page.evaluate(SMALL_TARGETS, MIN_SIZE)
        problems += [f"{path}: {target}" for target in small]
    assert not problems, (f"{len(problems)} targets smaller than {MIN_SIZE} × {MIN_SIZE} px at {PHONE_WIDTH} px "
                          f"({who}, {len(walks[who])} pages):\n" + "\n".join(problems))


def test_the_skip_link_is_44_px_once_it_has_the_focus(new_page):
    page = new_page("phone")
    page.goto("/anmelden")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    assert [target for target in page.evaluate(SMALL_TARGETS, MIN_SIZE) if ".skip-link" in target] == []
