"""A plain HTTP client for tests against a real server (LiveServer, gunicorn): one cookie jar per session,
the CSRF token read from the page, forms sent as a browser sends them (urlencoded, or multipart with files).

The standard library only, never through a proxy; redirects are followed like a browser (303 → GET).
"""

import html
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urlsplit

TIMEOUT = 60  # seconds; a loaded 2-worker server answers slowly, never this slowly
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Response:
    status: int
    url: str  # where the last redirect led
    body: bytes
    headers: dict

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


class Session:
    """A browser session against ``base_url``: cookies kept, one request at a time."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(CookieJar())
        )

    def request(self, method: str, path: str, fields: dict | None = None,
                files: list[tuple[str, str, bytes]] = ()) -> Response:
        """``files``: (field name, file name, content) sent as multipart/form-data."""
        body, headers = None, {}
        if files:
            body, content_type = _multipart(fields or {}, files)
            headers["Content-Type"] = content_type
        elif fields is not None:
            body = urlencode(fields, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=TIMEOUT) as answer:
                return Response(answer.status, answer.geturl(), answer.read(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.geturl(), error.read(), dict(error.headers))

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict, files: list[tuple[str, str, bytes]] = ()) -> Response:
        return self.request("POST", path, fields, files)

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the form on the page at ``path``."""
        page = self.get(path)
        found = _CSRF.search(page.text)
        assert page.status == 200 and found, f"kein Formular auf {path}: {page.status} {page.text[:300]}"
        return html.unescape(found.group(1))

    def sign_in(self, email: str, password: str) -> "Session":
        token = self.csrf_token("/anmelden")
        response = self.post("/anmelden", {"csrf_token": token, "email": email, "password": password})
        assert response.status == 200 and response.path != "/anmelden", f"Anmeldung als {email}: {response.status}"
        return self


def _multipart(fields: dict, files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content in files:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n")
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
