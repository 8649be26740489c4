"""Helpers for the browser tests: a live server in a subprocess, logging in, axe and HTML_CodeSniffer checks.

Playwright is imported only where it is used, so that conftest.py loads without it
(the browser fixtures then skip, or fail in CI).

Why a subprocess: the app binds the process-global peewee ``DatabaseProxy`` in
create_app(); a server thread inside the pytest process would share it with the
other tests' apps. A child process has its own.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests import databases

SERVER_START_TIMEOUT = 20  # seconds until /healthz must answer 200
MAIL_TIMEOUT = 5  # seconds from the answer on screen until the mail is in the SMTP server
# The live server's Meldungen lists ask for status changes every second (users: every 15 s), so a test sees a
# change without waiting for a real poll; the wait leaves room for a busy machine.
STATUS_POLL_SECONDS = 1
POLL_WAIT_MS = 10_000
IN_CI = os.environ.get("CI", "").lower() == "true"

# Chromium flags: no sandbox (containers), no GPU, no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

LOGIN_FAILED = "E-Mail-Adresse oder Passwort ist nicht richtig."

# ``create_app({})`` rather than ``create_app()``: a non-None mapping keeps the
# developer's instance/config.py out (the WIR_* variables below configure it all).
# The instance folder (uploads, mails without SMTP) is the server's own, not the checkout's.
# Werkzeug serves on the listening socket it is handed (its file descriptor, sys.argv[1]).
_SERVER_CODE = (
    "import sys\n"
    "from werkzeug.serving import make_server\n"
    "from wir import create_app, tasks\n"
    "app = create_app({}, instance_path=sys.argv[2])\n"
    "tasks.start_in_process()  # mails and letters in the background, as make run does\n"
    "make_server('127.0.0.1', 0, app, threaded=True, fd=int(sys.argv[1])).serve_forever()\n"
)


class LiveServer:
    """The app on its own database clone, served by Werkzeug in a child process.

    ``url`` is the base URL (``http://127.0.0.1:PORT``); ``log`` the server's output.
    ``env`` adds (or overrides) environment variables of the child, e.g.
    ``{"WIR_SMTP_HOST": "127.0.0.1", "WIR_SMTP_PORT": "2525"}`` to send its mails to a test SMTP server.
    """

    def __init__(self, template_url: str, directory: Path, env: dict[str, str] | None = None,
                 database_url: str | None = None):
        """``database_url``: serve that (another server's) database instead of a clone of the template."""
        self.directory = directory
        self.extra_env = dict(env or {})
        self.owns_database = database_url is None
        self.database_url = database_url or databases.clone(template_url, directory)
        # bound and listening here, handed to the child: no other process (a parallel test run's server, an
        # outgoing connection) can take the port between choosing it and serving on it
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "server.log"
        self.instance_path = directory / "instance"  # uploads/ and, without SMTP, mail/
        self.process = None

    def environment(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("WIR_")}
        env.update(
            {
                "WIR_DATABASE_URL": self.database_url,
                "WIR_SECRET_KEY": "browser-test-secret-key",
                "WIR_DEVELOPMENT": "true",  # cookies without Secure over plain http
                "WIR_BASE_URL": self.url,
                "WIR_ARGON2_TIME_COST": "1",
                "WIR_ARGON2_MEMORY_COST": "8",
                "WIR_ARGON2_PARALLELISM": "1",
                "WIR_STATUS_POLL_SECONDS": str(STATUS_POLL_SECONDS),
                # own counters, never the Redis other test runs share
                "WIR_RATELIMIT_STORAGE_URL": "memory://",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        # the child must import this checkout's package whatever its cwd
        project = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [project, env.get("PYTHONPATH")]))
        return env

    def command(self) -> list[str]:
        """What serves the app in the child process (a subclass may choose gunicorn)."""
        return [sys.executable, "-c", _SERVER_CODE, str(self.socket.fileno()), str(self.instance_path)]

    def start(self) -> "LiveServer":
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.directory,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=[self.socket.fileno()],
            )
        self.socket.close()  # the child's now: a server that ends refuses connections instead of queueing them
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"Der Testserver ist beendet (Code {self.process.returncode}):\n{self.output()}")
            try:
                with opener.open(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"/healthz antwortete nicht binnen {SERVER_START_TIMEOUT} s:\n{self.output()}")

    def stop(self) -> None:
        self.socket.close()  # not yet handed over when start() was never called
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.owns_database:
            databases.drop(self.database_url)

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-5000:]
        except OSError:
            return ""


def login(page, user: dict, path: str = "/anmelden"):
    """Sign in through the real form (works with and without JavaScript); waits until the login page is left.

    Staff (a login with "totp_secret") then give the code of their authenticator app, computed with pyotp.
    """
    page.goto(path)
    page.get_by_label("E-Mail-Adresse").fill(user["email"])
    page.get_by_label("Passwort", exact=True).fill(user["password"])
    page.get_by_role("button", name="Anmelden", exact=True).click()
    _wait_until_left(page, user, "/anmelden")
    if "totp_secret" in user:
        import pyotp

        page.get_by_label("Bestätigungscode aus Ihrer Authenticator-App").fill(pyotp.TOTP(user["totp_secret"]).now())
        page.get_by_role("button", name="Anmelden", exact=True).click()
        _wait_until_left(page, user, "/zwei-faktor")
    return page


def _wait_until_left(page, user: dict, path: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_url(lambda url: path not in url)
    except PlaywrightTimeoutError:
        errors = page.locator(".field__error, .notice").all_inner_texts()
        raise AssertionError(f"Anmeldung als {user['email']} gescheitert: {errors or page.url}") from None


def path_of(page) -> str:
    return urlsplit(page.url).path


def unexpected_errors(page) -> list[str]:
    """Console errors, except the 422 of an invalid form (the browser logs it; htmx swaps it in)."""
    return [e for e in page.wir_console_errors if "status of 422" not in e]


def wait_for_mail(mailbox, recipient: str, subject: str | None = None, timeout: float = MAIL_TIMEOUT):
    """The first mail to ``recipient`` (with this subject, when given) that the SMTP server received."""
    deadline = time.monotonic() + timeout
    while True:
        for message in list(mailbox.messages):
            if message["To"] == recipient and subject in (None, message["Subject"]):
                return message
        if time.monotonic() > deadline:
            received = [(m["To"], m["Subject"]) for m in mailbox.messages]
            raise AssertionError(f"keine Mail „{subject or ''}“ an {recipient} binnen {timeout} s; angekommen: {received}")
        time.sleep(0.05)


def javascript_runs(page, wait_seconds: float = 1.0) -> bool:
    """Whether the page's timers fire. With JavaScript disabled ``page.evaluate`` still
    works, but setTimeout callbacks never run (and so axe.run() would never finish)."""
    page.evaluate("() => { window.__wirTick = false; setTimeout(() => { window.__wirTick = true; }, 0); }")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if page.evaluate("window.__wirTick"):
            return True
        time.sleep(0.01)
    return False


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the page with one of ``impacts``.

    axe is injected with ``page.evaluate``, which is not subject to the page's CSP
    (script-src 'self' stays as it is; no bypass_csp needed). In a context with
    JavaScript disabled ``page.evaluate`` still runs, but timers never fire, so
    ``axe.run()`` would wait forever; such a page is checked in a JavaScript-enabled
    twin context with the same cookies, viewport and URL (the server's HTML is the
    same: htmx only enhances it).
    """
    from axe_playwright_python.sync_playwright import Axe

    # known from the new_page fixture: probing (javascript_runs) would wait its full second on every such page
    if page.context.wir_javascript:
        results = Axe().run(page)
    else:
        context = page.context
        twin = context.browser.new_context(
            storage_state=context.storage_state(),
            viewport=page.viewport_size,
            is_mobile=getattr(context, "wir_is_mobile", False),  # set by the new_page fixture
            has_touch=getattr(context, "wir_has_touch", False),
            locale="de-DE",
        )
        try:
            twin_page = twin.new_page()
            twin_page.goto(page.url)
            results = Axe().run(twin_page)
        finally:
            twin.close()
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node.get('failureSummary', '').strip().replace(chr(10), ' ')}")
    return "\n".join(lines)


# HTML_CodeSniffer as pa11y runs it: pa11y's own build, the npm package @pa11y/html_codesniffer (package.json),
# installed by `make install` (npm ci). (The original html_codesniffer 2.5.1 stops with a TypeError on the sign-in
# page: its texts for the autocomplete rule are missing.)
HTMLCS_JS = Path(__file__).resolve().parents[2] / "node_modules" / "@pa11y" / "html_codesniffer" / "build" / "HTMLCS.js"
HTMLCS_ERROR = 1  # HTMLCS's message types: 1 error, 2 warning, 3 notice; pa11y reports errors by default

# Runs in the page: every message of HTMLCS.process with the element it concerns, described for a failure message.
_HTMLCS_RUN = """(standard) => new Promise((resolve, reject) => {
    const describe = (element) => {
        if (!element || !element.tagName) return '(document)';
        let text = element.tagName.toLowerCase();
        if (element.id) text += '#' + element.id;
        if (typeof element.className === 'string' && element.className.trim())
            text += '.' + element.className.trim().split(/\\s+/).join('.');
        const html = element.outerHTML.replace(/\\s+/g, ' ');
        return text + ' ' + (html.length > 160 ? html.slice(0, 160) + '…' : html);
    };
    window.HTMLCS.process(standard, window.document, () => {
        resolve(window.HTMLCS.getMessages().map((m) => ({
            type: m.type, code: m.code, message: m.msg, element: describe(m.element),
        })));
    }, () => reject(new Error('HTML_CodeSniffer: ' + standard + ' failed')), 'en');
})"""


def htmlcs_findings(page, standard: str = "WCAG2AA", types=(HTMLCS_ERROR,)) -> list[dict]:
    """HTML_CodeSniffer's messages of ``types`` (errors: what pa11y reports by default) on the page as it is now.

    HTMLCS.js is injected with ``page.evaluate`` (not bound by the page's CSP, unlike a script tag). Its
    checks run synchronously, so they work in a context with JavaScript disabled as well: the HTML checked is
    the one the browser shows, with or without htmx.
    """
    if not page.evaluate("typeof window.HTMLCS === 'object'"):
        page.evaluate(HTMLCS_JS.read_text(encoding="utf-8"))
    return [m for m in page.evaluate(_HTMLCS_RUN, standard) if m["type"] in types]


def format_htmlcs(findings: list[dict]) -> str:
    return "\n".join(f"- {f['code']}: {f['message']}\n    {f['element']}" for f in findings)


def assert_accessible(page) -> None:
    """Fail when the page as it is now has a finding of pa11y's two checkers: a serious or critical
    violation of axe-core, or an error of HTML_CodeSniffer's WCAG2AA rules."""
    violations = axe_violations(page)
    findings = htmlcs_findings(page)
    problems = []
    if violations:
        problems.append(f"axe-core: {len(violations)} schwere Verstöße auf {page.url}:\n" + format_violations(violations))
    if findings:
        problems.append(f"HTML_CodeSniffer (WCAG2AA): {len(findings)} Fehler auf {page.url}:\n" + format_htmlcs(findings))
    assert not problems, "\n".join(problems)


def assert_no_horizontal_scroll(page, width: int = 360) -> None:
    page.wait_for_load_state("load")  # measured with the style sheets applied
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(
            """(width) => Array.from(document.querySelectorAll('body *'))
                .filter(el => el.getBoundingClientRect().right > width + 0.5)
                .slice(0, 8)
                .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                          + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
                          + ' right=' + Math.round(el.getBoundingClientRect().right))""",
            width,
        )
        raise AssertionError(
            f"{page.url}: horizontal scrollbar at {width} px (scrollWidth {scroll_width}); "
            f"elements reaching past the edge: {culprits}"
        )


def wait_for_htmx(page) -> None:
    """htmx loads deferred, before "load"; then what it started on its own has finished: a request triggered by
    "load" (the Freistellungsauftrag's form), its swap and the settling that wires the new content (a choice made
    before that went unseen in a parallel run). (wait_for_function with an expression string would poll with
    eval, which the portal's CSP refuses.)"""
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.htmx") == "object"
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def after_swap(page, action) -> None:
    """Run ``action`` (which makes htmx swap) and wait until htmx has settled the new content."""
    page.evaluate(
        """() => { window.__wirSettled = false;
                   document.body.addEventListener('htmx:afterSettle', () => { window.__wirSettled = true; },
                                                  {once: true}); }"""
    )
    action()
    page.wait_for_function("() => window.__wirSettled === true")


def control(page, label: str):
    """The form control labelled ``label``, whether or not its label adds "(Pflichtfeld)"."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"( \(Pflichtfeld\))?$"))


def option_value(select, text: str) -> str:
    """The value of the option of ``select`` that contains ``text``."""
    value = select.locator("option", has_text=text).first.get_attribute("value")
    assert value, f"no option „{text}“"
    return value


def expect(target, message=None):
    """Playwright's expect, imported when a test runs: the fixtures already skip (fail in CI) without Playwright."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target, message)
