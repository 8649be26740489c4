"""Defects a tenant saw in a real browser: the password rules' markers, hyphenation of long German words."""

import pytest

from tests.browser.helpers import expect

pytestmark = pytest.mark.browser

MARKS = "✓–"


def test_password_rules_have_one_marker_per_line(page):
    page.goto("/registrieren/")
    items = page.locator("#password-criteria li")
    expect(items).to_have_count(3)
    for item in items.all():
        list_style, marker = item.evaluate(
            "li => [getComputedStyle(li).listStyleType, getComputedStyle(li, '::marker').content]")
        assert list_style == "none", f"list bullet beside the mark: {list_style}, ::marker {marker}"
        text = item.inner_text()
        assert sum(text.count(mark) for mark in MARKS) == 1 and text.lstrip()[0] in MARKS, text


def test_long_german_words_hyphenate_at_1280_px(new_page, users):
    """„Mietschuldenfreiheitsbescheinigung“ is wider than the request panel at 1280 px: it breaks at a syllable
    with a hyphen (hyphens: auto, lang="de"), not after any letter.

    Debian's Chromium has no hyphenation dictionaries (Chrome downloads them as a component), so this browser
    still breaks the word without a hyphen: the test checks what the page asks of the browser."""
    page = new_page("desktop", user=users["tenant"])
    page.goto("/dokumente/")
    title = page.locator(".request-list__title", has_text="Mietschuldenfreiheitsbescheinigung").first
    word_width, box_width, hyphens, lang = title.evaluate("""p => {
        const word = document.createElement('span');
        word.style.whiteSpace = 'nowrap';
        word.textContent = p.textContent.trim();
        p.appendChild(word);
        const width = word.getBoundingClientRect().width;
        word.remove();
        return [width, p.clientWidth, getComputedStyle(p).hyphens, p.closest('[lang]').lang];
    }""")
    assert word_width > box_width, "the word fits: the test no longer shows a break"
    assert (hyphens, lang) == ("auto", "de")
    # what the tenant types is shown as typed, without hyphens of the browser's
    page.goto("/kontakt")
    fields = page.locator("main textarea, main input[type=text]").all()
    assert fields and all(field.evaluate("f => getComputedStyle(f).hyphens") == "manual" for field in fields)
