"""Browser fixtures: a live server per test module, Debian's Chromium through Playwright's sync API.

    live_server        module: the app in a subprocess on its own clone of the seeded database
    browser            session: headless Chromium (/usr/bin/chromium)
    new_page           function: factory new_page(viewport="desktop"|"phone", javascript=True, user=None)
                       -> a Page in a fresh context with base_url set, so page.goto("/anmelden") works;
                       user=<demo login dict> starts signed in (storage state of one real form login per user)
    page               function: 1280x900, JavaScript on, anonymous
    nojs_page          function: 1280x900, JavaScript off, anonymous
    phone_page         function: 360x740, mobile with touch, JavaScript on, anonymous
    users              session: demo logins picked for their role (see the fixture)

Pages made by new_page collect console errors and uncaught exceptions in page.wir_console_errors.
Each user signs in through the form once per module: login POSTs are limited to 10 a minute
per address, so keep the number of distinct users (and login tests) in one module below that.

Helpers in tests/browser/helpers.py: login(page, user), assert_accessible(page) (axe-core and
HTML_CodeSniffer), assert_no_horizontal_scroll(page).

Without Chromium, Playwright, axe-playwright-python or HTML_CodeSniffer (node_modules, from npm ci)
the browser tests are skipped locally and fail in CI (CI=true).
"""

import shutil
from pathlib import Path

import pytest

from tests.browser.helpers import CHROMIUM_ARGS, HTMLCS_JS, IN_CI, VIEWPORTS, LiveServer, login
from tests.smtp_server import SmtpServer

DEFAULT_TIMEOUT_MS = 10_000


@pytest.hookimpl(tryfirst=True)  # before -m selects by marks
def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test, whether its module says so or not (make test-fast leaves
    them out by that mark)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"Browsertests nicht ausführbar: {reason} (CI=true: wird nicht übersprungen)", pytrace=False)
    pytest.skip(f"Browsertests übersprungen: {reason}")


def _chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright ist nicht installiert ({error}); pip install -e '.[test]'")
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError as error:
        _unavailable(f"axe-playwright-python ist nicht installiert ({error}); pip install -e '.[test]'")
    if not HTMLCS_JS.is_file():
        _unavailable(f"HTML_CodeSniffer fehlt ({HTMLCS_JS}); npm ci (make install) installiert ihn aus package-lock.json")
    # assertions wait as long as actions (Playwright's default: 5 s): on 2 CPUs shared by parallel test
    # processes a page can take longer to answer than on a quiet machine
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    playwright = sync_playwright().start()
    yield playwright
    playwright.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    executable = _chromium_path()
    if executable is None:
        _unavailable("Chromium fehlt (apt-get install chromium); `playwright install` wird nicht benutzt")
    try:
        browser = _playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # a broken installation: same treatment as a missing one
        _unavailable(f"Chromium ({executable}) startet nicht: {error}")
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def mailbox():
    """The SMTP server the module's live server delivers its mails to."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live_server(seeded_template, tmp_path_factory, mailbox):
    """The app in a child process on its own clone of the demo database, mailing to ``mailbox``."""
    server = LiveServer(
        seeded_template[0],
        tmp_path_factory.mktemp("live-server"),
        env={"WIR_SMTP_HOST": "127.0.0.1", "WIR_SMTP_PORT": str(mailbox.port)},
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def users(demo_logins):
    """Demo logins by role. Each browser-signed-in user keeps one session for the whole module,
    so the logout test has a user of its own (logging out ends all of a user's sessions)."""
    tenants = demo_logins["tenants"]
    without_savings = [t for t in tenants if "lipsia" not in t["cooperatives"]]
    savers = [t for t in tenants if t["cooperatives"] == ["lipsia"]]
    both = [t for t in tenants if set(t["cooperatives"]) == {"lipsia", "elsteraue"}]
    assert len(without_savings) >= 2 and savers and both, "demo data lacks the tenants the browser tests need"
    picked = {
        "tenant": without_savings[0],  # Elsteraue only: no Sparen
        "saver": savers[0],  # Lipsia
        "both": both[0],  # Lipsia and Elsteraue
        "logout": without_savings[1],
        "staff": demo_logins["staff"][0],
    }
    used = {user["email"] for user in picked.values()}
    # a wrong password counts against its account; use one no other test signs in with
    picked["wrong_password"] = next(t for t in reversed(tenants) if t["email"] not in used)
    return picked


@pytest.fixture(scope="module")
def _login_states(browser, live_server):
    """One real form login per user and module; later pages start from its cookies."""
    states = {}

    def state_for(user: dict) -> dict:
        if user["email"] not in states:
            context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            try:
                login(context.new_page(), user)
                states[user["email"]] = context.storage_state()
            finally:
                context.close()
        return states[user["email"]]

    return state_for


@pytest.fixture
def new_page(browser, live_server, _login_states):
    contexts = []

    def make(viewport: str = "desktop", javascript: bool = True, user: dict | None = None):
        options = dict(VIEWPORTS[viewport])
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            locale="de-DE",
            storage_state=_login_states(user) if user else None,
            **options,
        )
        # remembered for helpers.axe_violations and its JavaScript-enabled twin
        # (Playwright does not expose a context's options)
        context.wir_javascript = javascript
        context.wir_is_mobile = options.get("is_mobile", False)
        context.wir_has_touch = options.get("has_touch", False)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        # console errors and uncaught exceptions (CSP refusals show up here) for the tests to check
        page.wir_console_errors = []
        page.on("console", lambda message: message.type == "error" and page.wir_console_errors.append(message.text))
        page.on("pageerror", lambda error: page.wir_console_errors.append(f"uncaught: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page("desktop")


@pytest.fixture
def nojs_page(new_page):
    return new_page("desktop", javascript=False)


@pytest.fixture
def phone_page(new_page):
    return new_page("phone")
