"""CI: the first thing every user does. Start `make run` on this checkout, wait until the portal
serves, sign in with the first printed demo tenant login, open the mail page it names, then stop
it by its process id.

Standard library only: it runs with the machine's python3 before anything else is installed.
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

START_TIMEOUT = 600  # seconds: a fresh checkout first creates the virtualenv and installs everything
LOGIN_LINE = re.compile(r"^\s+Mieter\s+(\S+@\S+)\s+(\S+)", re.MULTILINE)
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_until_serving(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"`make run` ended with exit code {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    sys.exit(f"`make run` did not serve /healthz within {START_TIMEOUT} s:\n{log.read_text()[-4000:]}")


def sign_in(base: str, email: str, password: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(base + "/anmelden", timeout=10).read().decode()
    token = CSRF_FIELD.search(page)
    if not token:
        sys.exit("Anmelden shows no form with a CSRF token")
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token.group(1)}).encode()
    try:
        opener.open(base + "/anmelden", data=form, timeout=30)
        sys.exit(f"signing in as {email} did not redirect")
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            sys.exit(f"signing in as {email} answered {answer.code}")
        target = urllib.parse.urljoin(base, answer.headers["Location"])
    signed_in = opener.open(target, timeout=10).read().decode()
    if "Abmelden" not in signed_in:
        sys.exit(f"after signing in as {email}, {target} shows no Abmelden")
    print(f"make run: signed in as {email}, {target} serves the portal")


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"wir-make-run-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "run"], env={**os.environ, "WIR_PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: make and the server it started stop together
        )
    try:
        wait_until_serving(base, process, log)
        login = LOGIN_LINE.search(log.read_text())
        if not login:
            sys.exit(f"`make run` printed no demo tenant login:\n{log.read_text()[-4000:]}")
        sign_in(base, *login.groups())
        mailbox = f"{base}/dev/mails/"
        if mailbox not in log.read_text():
            sys.exit(f"`make run` does not name its mail page {mailbox}")
        with urllib.request.urlopen(mailbox, timeout=10) as response:
            if response.status != 200:
                sys.exit(f"{mailbox} answered {response.status}")
        print(f"make run: its mails are listed on {mailbox}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
