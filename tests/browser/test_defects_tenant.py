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
