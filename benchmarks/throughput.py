"""Throughput as production serves the portal: gunicorn with 2 sync workers on the run's database, loaded by
``wrk`` (Debian package) on loopback. Each row is given as a ratio to a bare Flask "hello" app (benchmarks/hello.py)
served and loaded the same way in the same run (before and after the portal; their mean), which says more than
requests per second on a machine shared with other work. Also: the first visit's transfer size of the Startseite
(HTML, CSS and JS, each gzip-compressed as a proxy would send it) and the resident memory of each worker after
the run.

The signed-in rows send Jürgen Müller's session cookie, made in process with the run's secret key; the user
agent is the one the session was made with (flask-login's session protection compares it).
"""

import gzip
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import latency
from benchmarks.data import BENCH_INSTANCE, ROOT, environment
from wir import clock, db

WORKERS = 2
THREADS, CONNECTIONS = 2, 16
WARM_UP_SECONDS = 3
# the targets of issue 14 on this machine (ratio to hello)
TARGETS = {"/healthz": 0.60, "Statusabfrage, unverändert": 0.50, "Startseite": 0.20, "Meldungen": 0.20}
FIRST_VISIT_TARGET_KB = 40
WORKER_TARGET_MB = 100


class Server:
    """gunicorn serving ``app`` (a WSGI app or factory call) on a free loopback port."""

    def __init__(self, app: str, env: dict):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = Path(tempfile.mkstemp(prefix="wir-bench-gunicorn-", suffix=".log")[1])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--error-logfile", str(self.log), app],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(self.workers()) < WORKERS or not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"gunicorn did not start:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            self.get("/")
        except OSError:
            return False
        return True

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def resident_mb(self) -> list[float]:
        """Resident memory of each worker (VmRSS)."""
        sizes = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(round(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024, 1))
        return sizes

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.unlink(missing_ok=True)


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(port: int, path: str, headers: dict, seconds: int) -> dict:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                            check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p99_ms": round(_milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)), 2),
        "error_responses": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else "",
    }


def first_visit(server: Server, headers: dict) -> dict:
    """The Startseite and every stylesheet and script it names, gzip-compressed, in bytes."""
    status, html = server.get("/", headers)
    assert status == 200, status
    page = html.decode()
    assets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', page)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    sizes = {"html": len(gzip.compress(html)), "css": 0, "js": 0}
    for kind, paths in (("css", assets), ("js", scripts)):
        for path in paths:
            status, body = server.get(path.replace("&amp;", "&"))
            assert status == 200, (path, status)
            sizes[kind] += len(gzip.compress(body))
    sizes["total"] = sum(sizes.values())
    sizes["files"] = 1 + len(assets) + len(scripts)
    return sizes


class Session:
    """Jürgen Müller signed in (in process, the run's secret key), as a cookie for wrk."""

    def __init__(self, url: str):
        self.bench = latency.Bench(url, with_clerk=False)
        self.client = self.bench.clients["tenant"]
        self.poll_path = self.bench.poll_path(changed=False)
        self.client.get("/")  # the form token goes into the session once

    def headers(self) -> dict:
        # a fresh activity time, so that no request of the run has to record it (a browser gets the new cookie)
        with self.client.session_transaction() as session:
            session["seen"] = clock.timestamp()
        name = self.bench.app.config["SESSION_COOKIE_NAME"]
        return {"Cookie": f"{name}={self.client.get_cookie(name).value}",
                "User-Agent": self.client.environ_base["HTTP_USER_AGENT"]}


def run(url: str, seconds: int = 10) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk fehlt: apt-get install -y wrk")
    env = {**os.environ, **environment(url)}
    session = Session(url)
    rows = [
        ("/healthz", "/healthz", None, 200),
        ("Statusabfrage, unverändert", session.poll_path, latency.POLL, 204),
        ("Startseite", "/", {}, 200),
        ("Meldungen", "/meldungen", {}, 200),
    ]

    def hello() -> dict:
        server = Server("benchmarks.hello:app", env)
        try:
            wrk(server.port, "/", {}, WARM_UP_SECONDS)
            return wrk(server.port, "/", {}, seconds)
        finally:
            server.stop()

    before = hello()
    server = Server(f"wir:create_app({{}}, instance_path={str(BENCH_INSTANCE)!r})", env)
    try:
        measured = []
        for name, path, extra, expect in rows:
            headers = {} if extra is None else {**session.headers(), **extra}
            status, _body = server.get(path, headers)
            assert status == expect, (name, status)
            # warm-up: both workers compile the templates and read the pages of the database the row needs
            wrk(server.port, path, headers, WARM_UP_SECONDS)
            result = wrk(server.port, path, headers, seconds)
            status, _body = server.get(path, headers)
            assert status == expect, (name, "after the run", status)
            measured.append({"name": name, "request": f"GET {path.split('?')[0]}", **result})
        transfer = first_visit(server, session.headers())
        memory = server.resident_mb()
    finally:
        server.stop()
    after = hello()
    db.close_all()
    hello_rps = (before["requests_per_s"] + after["requests_per_s"]) / 2
    for row in measured:
        row["ratio_to_hello"] = round(row["requests_per_s"] / hello_rps, 3)
        row["target"] = TARGETS[row["name"]]
    return {
        "server": f"gunicorn, {WORKERS} sync workers; wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s on loopback",
        "hello": {"requests_per_s": round(hello_rps, 1), "before": before, "after": after},
        "requests": measured,
        "first_visit_gzip_bytes": transfer,
        "worker_rss_mb": memory,
    }


def table(result: dict) -> str:
    hello = result["hello"]
    lines = [f"{result['server']}; Flask hello: {hello['requests_per_s']:.0f}/s "
             f"(vorher {hello['before']['requests_per_s']:.0f}, nachher {hello['after']['requests_per_s']:.0f})",
             "", "| Anfrage | Anfragen/s | Anteil von hello | Ziel | p99 ms |", "|---|---:|---:|---:|---:|"]
    for row in result["requests"]:
        flag = "" if row["ratio_to_hello"] >= row["target"] else " ⚠"
        errors = f" ({row['error_responses']} Fehler)" if row["error_responses"] else ""
        lines.append(f"| {row['name']} | {row['requests_per_s']:.0f}{errors} | {row['ratio_to_hello']:.0%}{flag} "
                     f"| ≥ {row['target']:.0%} | {row['p99_ms']:.1f} |")
    size = result["first_visit_gzip_bytes"]
    kb = size["total"] / 1024
    lines.append("")
    lines.append(f"Erster Besuch der Startseite (gzip): {kb:.1f} KB in {size['files']} Dateien (HTML {size['html']} B, "
                 f"CSS {size['css']} B, JS {size['js']} B); Ziel ≤ {FIRST_VISIT_TARGET_KB} KB"
                 + ("" if kb <= FIRST_VISIT_TARGET_KB else " ⚠"))
    memory = result["worker_rss_mb"]
    lines.append(f"Speicher je Worker nach dem Lauf (RSS): {', '.join(f'{mb:.0f} MB' for mb in memory)}; "
                 f"Ziel ≤ {WORKER_TARGET_MB} MB" + ("" if max(memory, default=0) <= WORKER_TARGET_MB else " ⚠"))
    return "\n".join(lines)
