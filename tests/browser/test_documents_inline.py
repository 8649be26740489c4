"""A document of the cooperative opens in Chromium's own PDF viewer (served inline, in the sandbox policy), not as
a download notice; „Herunterladen“ beside it saves it. With and without JavaScript on the portal's pages."""

import re

import pytest
from pypdf import PdfReader

from tests.browser.helpers import expect, path_of

pytestmark = pytest.mark.browser

PDF_VIEWER = "chrome-extension://"  # the frame Chromium shows a PDF in
# the number of pages the viewer has laid out (0 until the PDF is loaded), read from its toolbar. It is the viewer's
# own script: Playwright's javascript=False switches off every frame's scripts, the viewer's too, so this is read only
# with JavaScript on.
VIEWER_PAGES = """() => {
  const viewer = document.querySelector('pdf-viewer');
  const toolbar = viewer && viewer.shadowRoot && viewer.shadowRoot.querySelector('viewer-toolbar');
  const pages = toolbar && toolbar.shadowRoot && toolbar.shadowRoot.querySelector('viewer-page-selector');
  return pages ? pages.docLength || 0 : 0;
}"""


def first_document(page):
    page.goto("/dokumente/")
    item = page.locator("li.document").first
    title_link = item.locator(".document__title a")
    return item, title_link.inner_text().strip(), title_link.get_attribute("href")


def poll(found, page, seconds: float = 10):
    """What ``found()`` returns once it is truthy, or its last answer after ``seconds``."""
    for _ in range(int(seconds * 10)):
        answer = found()
        if answer:
            return answer
        page.wait_for_timeout(100)
    return found()


def viewer_frame(page):
    frames = [frame for frame in page.frames if frame.url.startswith(PDF_VIEWER)]
    return frames[0] if frames else None


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_document_opens_in_the_browsers_pdf_viewer_and_herunterladen_saves_it(new_page, users, javascript):
    page = new_page("desktop", javascript=javascript, user=users["tenant"])
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    item, title, href = first_document(page)
    assert re.fullmatch(r"/dokumente/[A-Z0-9-]+/pdf", href)

    with page.expect_response(lambda r: r.url.endswith(href)) as answer:
        item.get_by_role("link", name=title, exact=True).click()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.header_value("content-security-policy").startswith("sandbox;")
    page.wait_for_url(f"**{href}")
    assert path_of(page) == href  # the PDF is the page now: shown, not saved
    filename = re.search(r'filename="?([^";]+)', response.headers["content-disposition"]).group(1)
    viewer = poll(lambda: viewer_frame(page), page)
    assert viewer is not None, [frame.url for frame in page.frames]
    shown_pages = poll(lambda: viewer.evaluate(VIEWER_PAGES), page) if javascript else None
    assert downloads == []

    page.go_back()
    expect(page.locator("h1")).to_have_text("Dokumente")
    item = page.locator("li.document", has=page.locator(f"a[href='{href}']"))
    with page.expect_download() as download:
        item.get_by_role("link", name=re.compile(r"^Herunterladen\W")).click()
    assert download.value.suggested_filename == filename
    if javascript:  # the viewer showed the whole PDF, the same one Herunterladen saves
        assert shown_pages == len(PdfReader(download.value.path()).pages)
