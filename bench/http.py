"""HTTP load: the app under gunicorn against PostgreSQL, driven over loopback.

``http_figures(database_url, duration=..., connections=32, log=print)`` starts gunicorn
(production settings, plain HTTP on ``127.0.0.1`` and a free port, static files
collected into a temporary folder) against an existing synthetic company, signs in as
``synth-hr`` and ``synth-manager`` through the login form, and drives each URL in turn
for ``duration`` seconds from this process: ``connections`` keep-alive HTTP/1.1
connections in a closed loop (each sends its next request as soon as the previous
answer is read, as wrk does), written with asyncio on raw sockets.

Every URL gets a ``Figure``: p95 in ms against the floor (the anonymous login page under
the same load) with p50/p99, requests, errors, requests/s and requests/s per core in the
notes. Two "per core" figures: requests/s divided by the machine's cores, and requests
per CPU-second the server actually spent (gunicorn workers plus their PostgreSQL
backends, read from ``/proc``), which stays meaningful when other programs share the
machine. The load generator's own CPU share is noted for every URL, and its ceiling is
measured first against a trivial server, so that it is visibly not the bottleneck.

Signing in writes what any sign-in writes (a session, ``last_login``, a "signed in"
audit event); the sessions are signed out at the end. Nothing else is written.

Alone: ``python -m bench.http --database-url postgres://.../perfcycle_synth10k --duration 20``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfcycle.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from bench.cases import Figure

TARGET_MS = 100.0
ROOT = Path(__file__).resolve().parent.parent
# perfcycle.synth.build's logins (not imported: it needs Django set up), with the demo password.
HR_LOGIN, MANAGER_LOGIN = "synth-hr", "synth-manager"
APP_NAME = f"perfcycle-bench-http-{os.getpid()}"
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
Log = Callable[[str], Any]


# The server ----------------------------------------------------------------------------


def default_workers() -> int:
    """gunicorn's rule of thumb: two per core plus one."""
    return 2 * (os.cpu_count() or 1) + 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_app_name(url: str) -> str:
    """The URL with an ``application_name`` so the server's backends can be told apart."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    query.append(("application_name", APP_NAME))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


@dataclass
class Server:
    database_url: str
    workers: int
    worker_class: str
    threads: int
    log: Log
    port: int = 0
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="perfcycle-http-")))
    process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "perfcycle.settings.production",
                "DATABASE_URL": _with_app_name(self.database_url),
                "SECRET_KEY": secrets.token_urlsafe(50),
                "PERFCYCLE_DATA_DIR": str(self.folder),
                "STATIC_ROOT": str(self.folder / "static"),
                # Plain HTTP on loopback: no proxy in front to terminate TLS.
                "SECURE_SSL_REDIRECT": "0",
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1",
                "LOG_LEVEL": "WARNING",
            }
        )
        return env

    def start(self) -> None:
        env = self.env()
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        self.port = _free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "perfcycle.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            f"--worker-class={self.worker_class}",
            f"--threads={self.threads}",
            "--keep-alive=5",
            "--backlog=2048",
            "--log-level=warning",
        ]
        errors = (self.folder / "gunicorn.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=errors, stderr=errors
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("GET", "/login/")[0] == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")
        self.log(
            f"gunicorn on 127.0.0.1:{self.port}: {self.workers} {self.worker_class} workers"
            f" × {self.threads} threads (ready in {time.perf_counter() - started:.1f} s)"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        path = self.folder / "gunicorn.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        master = self.process.pid
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rpartition(")")[2].split()[1]) == master:
                        pids.append(int(entry.name))
        return pids

    def request(
        self, method: str, path: str, *, cookies: dict[str, str] | None = None, body: str = ""
    ) -> tuple[int, dict[str, str], str, list[str]]:
        """One blocking request: status, headers, body, Set-Cookie values."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Accept": "*/*"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            return (
                response.status,
                dict(response.getheaders()),
                text,
                response.headers.get_all("Set-Cookie") or [],
            )
        finally:
            conn.close()


def _cookies(values: list[str]) -> dict[str, str]:
    jar = {}
    for value in values:
        name, _sep, rest = value.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login(server: Server, username: str) -> dict[str, str]:
    """Sign in through the login form; the session and CSRF cookies."""
    status, _headers, page, set_cookie = server.request("GET", "/login/")
    jar = _cookies(set_cookie)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or match is None:
        raise RuntimeError(f"/login/: HTTP {status}, no CSRF token")
    body = urllib.parse.urlencode(
        {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    )
    status, _headers, _text, set_cookie = server.request("POST", "/login/", cookies=jar, body=body)
    jar.update(_cookies(set_cookie))
    if status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"signing in as {username}: HTTP {status}")
    return jar


def logout(server: Server, jar: dict[str, str]) -> None:
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": jar.get("csrftoken", "")})
    server.request("POST", "/logout/", cookies=jar, body=body)


def api_json(server: Server, jar: dict[str, str], path: str) -> Any:
    import json

    status, _headers, text, _set = server.request("GET", path, cookies=jar)
    if status != 200:
        raise RuntimeError(f"{path}: HTTP {status}: {text[:200]}")
    return json.loads(text)


# CPU accounting --------------------------------------------------------------------------


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


class CpuMeter:
    """CPU seconds spent by gunicorn's workers and by their PostgreSQL backends.

    Polled twice a second; a process first seen after the meter started counts from its
    birth, so backends opened (and recycled by ``CONN_MAX_AGE``) during a run are counted.
    """

    def __init__(self, server: Server, database_url: str) -> None:
        self.server = server
        self.database_url = database_url
        self.last: dict[tuple[str, int], int] = {}
        self.spent: dict[str, int] = {"app": 0, "db": 0}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.db_pids: list[int] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _backends(self, conn: Any) -> list[int]:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        ).fetchall()
        return [row[0] for row in rows]

    def poll(self, conn: Any = None, *, first: bool = False) -> None:
        if conn is not None:
            with contextlib.suppress(Exception):
                self.db_pids = self._backends(conn)
        with self.lock:
            for kind, pids in (("app", self.server.worker_pids()), ("db", self.db_pids)):
                for pid in pids:
                    ticks = _cpu_ticks(pid)
                    if ticks is None:
                        continue
                    key = (kind, pid)
                    before = self.last.get(key, ticks if first else 0)
                    self.spent[kind] += max(0, ticks - before)
                    self.last[key] = ticks

    def _loop(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            self.poll(conn, first=True)
            self.started.set()
            while not self.stopped.wait(0.5):
                self.poll(conn)
            self.poll(conn)

    def __enter__(self) -> CpuMeter:
        self.started = threading.Event()
        self.thread.start()
        self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(10)

    def read(self) -> tuple[float, float]:
        """CPU seconds so far: (gunicorn workers, PostgreSQL backends)."""
        self.poll()
        with self.lock:
            return self.spent["app"] / TICK, self.spent["db"] / TICK


# The load generator ----------------------------------------------------------------------


@dataclass
class Load:
    label: str
    path: str
    samples: list[float] = field(default_factory=list)  # seconds
    statuses: Counter = field(default_factory=Counter)
    failures: int = 0  # broken connections, timeouts
    seconds: float = 0.0
    generator_cpu: float = 0.0
    app_cpu: float = 0.0
    db_cpu: float = 0.0
    load_average: tuple[float, float] = (0.0, 0.0)

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> int:
        return self.failures + sum(n for status, n in self.statuses.items() if status != 200)

    def percentile(self, q: float) -> float:
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    version, status = lines[0].split(b" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        name, _sep, value = line.partition(b":")
        if name:
            headers[name.strip().lower()] = value.strip().lower()
    keep = version == b"HTTP/1.1" and headers.get(b"connection") != b"close"
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                break
            await reader.readexactly(size + 2)
    else:
        await reader.read()
        keep = False
    return int(status), keep


async def _connection(
    port: int, request: bytes, deadline: float, load: Load | None, timeout: float
) -> None:
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                async with asyncio.timeout(timeout):
                    if writer is None:
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.write(request)
                    status, keep = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                if load is not None:
                    load.failures += 1
                if writer is not None:
                    writer.close()
                writer = None
                await asyncio.sleep(0.01)
                continue
            if load is not None:
                load.samples.append(time.perf_counter() - start)
                load.statuses[status] += 1
            if not keep:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


def _request_bytes(port: int, path: str, cookies: dict[str, str] | None) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Accept: */*",
        "User-Agent: perfcycle-bench",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def drive(
    port: int,
    path: str,
    *,
    label: str,
    cookies: dict[str, str] | None,
    duration: float,
    connections: int,
    warmup: float,
    meter: CpuMeter | None = None,
    timeout: float = 30.0,
) -> Load:
    """``connections`` closed-loop connections on one path: warm up, then measure."""
    request = _request_bytes(port, path, cookies)

    async def run(seconds: float, load: Load | None) -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(_connection(port, request, deadline, load, timeout) for _i in range(connections))
        )

    load = Load(label, path)
    if warmup > 0:
        asyncio.run(run(warmup, None))
    app0, db0 = meter.read() if meter else (0.0, 0.0)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    asyncio.run(run(duration, load))
    load.seconds = time.perf_counter() - wall0
    load.generator_cpu = time.process_time() - cpu0
    if meter:
        app1, db1 = meter.read()
        load.app_cpu, load.db_cpu = app1 - app0, db1 - db0
    load.load_average = os.getloadavg()[:2]
    return load


TRIVIAL_SERVER = """
import asyncio, sys
BODY = b"ok" * 512
ANSWER = b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n%s" % (
    len(BODY), BODY)
async def serve(reader, writer):
    try:
        while True:
            await reader.readuntil(b"\\r\\n\\r\\n")
            writer.write(ANSWER)
    except Exception:
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=2048)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def generator_ceiling(connections: int, seconds: float) -> Load:
    """The load generator against a trivial asyncio server in another process."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", TRIVIAL_SERVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        process.stdout.readline()
        return drive(
            port,
            "/",
            label="trivial server",
            cookies=None,
            duration=seconds,
            connections=connections,
            warmup=0.5,
        )
    finally:
        process.terminate()
        process.wait()


# The URLs --------------------------------------------------------------------------------


def synth_urls(server: Server, jars: dict[str, dict[str, str]]) -> list[tuple[str, str, str]]:
    """(label, login, path): the main API lists, paginated as a client calls them, and the
    manager's team pages."""
    hr = jars[HR_LOGIN]
    cycles = api_json(server, hr, "/api/v1/cycles?limit=500")["items"]
    synthetic = [c for c in cycles if c["name"].startswith("Synthetic ")]
    if not synthetic:
        raise RuntimeError("no synthetic cycle: build one with `perfcycle synth`")
    cycle = max(synthetic, key=lambda c: c["participant_count"])["id"]
    people = api_json(server, hr, "/api/v1/employees?limit=1")["count"]
    last = max(0, people - 50)
    return [
        ("API employees, first page (HR)", HR_LOGIN, "/api/v1/employees"),
        ("API employees, last page (HR)", HR_LOGIN, f"/api/v1/employees?offset={last}"),
        ("API employees search (HR)", HR_LOGIN, "/api/v1/employees?search=Wang"),
        ("API departments (HR)", HR_LOGIN, "/api/v1/departments"),
        ("API cycles (HR)", HR_LOGIN, "/api/v1/cycles"),
        ("API participants (HR)", HR_LOGIN, f"/api/v1/cycles/{cycle}/participants"),
        ("API goals of the cycle (HR)", HR_LOGIN, f"/api/v1/goals?cycle_id={cycle}"),
        ("API review forms (HR)", HR_LOGIN, f"/api/v1/cycles/{cycle}/review-forms"),
        ("API results (HR)", HR_LOGIN, f"/api/v1/results?cycle_id={cycle}"),
        ("API notifications (HR)", HR_LOGIN, "/api/v1/notifications"),
        ("API employees (manager)", MANAGER_LOGIN, "/api/v1/employees"),
        ("API goals of the cycle (manager)", MANAGER_LOGIN, f"/api/v1/goals?cycle_id={cycle}"),
        ("API my reviews (manager)", MANAGER_LOGIN, f"/api/v1/reviews?cycle_id={cycle}"),
        ("API team pace (manager)", MANAGER_LOGIN, f"/api/v1/cycles/{cycle}/pace"),
        ("Team goals page (manager)", MANAGER_LOGIN, f"/plan/team/?cycle={cycle}"),
        ("Team progress page (manager)", MANAGER_LOGIN, f"/monitor/team/?cycle={cycle}"),
    ]


# The figures -----------------------------------------------------------------------------


@dataclass
class Measured:
    ceiling: Load  # the generator against a trivial server
    floor: Load  # the anonymous login page
    loads: list[Load]
    server: str  # gunicorn's workers, in words
    connections: int


def measure(
    database_url: str,
    *,
    duration: float,
    connections: int = 32,
    log: Log = print,
    workers: int = 0,
    worker_class: str = "gthread",
    threads: int = 4,
    only: str = "",
) -> Measured:
    """Start gunicorn, sign in, drive every URL in turn; stop gunicorn."""
    warmup = min(3.0, max(0.5, duration / 5))
    ceiling = generator_ceiling(connections, min(duration, 5.0))
    log(f"load generator against a trivial server: {_line(ceiling)}")
    server = Server(database_url, workers or default_workers(), worker_class, threads, log)
    jars: dict[str, dict[str, str]] = {}
    loads: list[Load] = []
    try:
        server.start()
        for username in (HR_LOGIN, MANAGER_LOGIN):
            jars[username] = login(server, username)
        urls = [("Login page (anonymous)", "", "/login/"), *synth_urls(server, jars)]
        if only:
            urls = [u for u in urls if not u[1] or only.lower() in (u[0] + u[2]).lower()]
        with CpuMeter(server, database_url) as meter:
            for label, username, path in urls:
                load = drive(
                    server.port,
                    path,
                    label=label,
                    cookies=jars.get(username),
                    duration=duration,
                    connections=connections,
                    warmup=warmup,
                    meter=meter,
                )
                loads.append(load)
                log(f"{label}: {_line(load)}")
    except Exception:
        log(server.log_tail())
        raise
    finally:
        for jar in jars.values():
            with contextlib.suppress(Exception):
                logout(server, jar)
        server.stop()
    described = f"{server.workers} {worker_class} workers × {threads} threads"
    return Measured(ceiling, loads[0], loads[1:], described, connections)


def _busy(load: Load) -> tuple[float, float]:
    """Server CPU ms per request and requests per busy core (CPU-second)."""
    cpu = load.app_cpu + load.db_cpu
    if not load.requests or not cpu:
        return float("nan"), float("nan")
    return 1000 * cpu / load.requests, load.requests / cpu


def _line(load: Load) -> str:
    cores = os.cpu_count() or 1
    ms, per_busy = _busy(load)
    text = (
        f"{load.path}: {load.requests:,} requests in {load.seconds:.1f} s, "
        f"{load.errors} errors; p50 {load.percentile(0.5):.1f} / p95 "
        f"{load.percentile(0.95):.1f} / p99 {load.percentile(0.99):.1f} ms; "
        f"{load.rate:.0f} req/s = {load.rate / cores:.0f} req/s per core ({cores} cores)"
    )
    if load.errors:
        text += f"; statuses {dict(load.statuses)}, {load.failures} broken connections"
    if load.app_cpu or load.db_cpu:
        text += (
            f"; server CPU {ms:.1f} ms per request (gunicorn {load.app_cpu:.1f} s + "
            f"PostgreSQL {load.db_cpu:.1f} s) = {per_busy:.0f} req/s per busy core"
        )
    return text + (
        f"; load generator {100 * load.generator_cpu / load.seconds:.0f} % of a core; "
        f"load average {load.load_average[0]:.1f} / {load.load_average[1]:.1f}"
    )


def http_figures(
    database_url: str,
    *,
    duration: float,
    connections: int = 32,
    log: Log = print,
    **options: Any,
) -> list[Figure]:
    """One figure per URL: its p95 against the anonymous login page's under the same load.

    ``duration`` is seconds per URL. ``bench.cases`` imports the models, so Django must be
    set up first (``main`` does it). ``options``: ``workers``, ``worker_class``,
    ``threads``, ``only`` (see ``measure``).
    """
    from bench.cases import Figure

    run = measure(database_url, duration=duration, connections=connections, log=log, **options)
    floor = run.floor.percentile(0.95)
    figures = [
        Figure(
            f"HTTP {load.label}",
            load.percentile(0.95),
            floor,
            "ms",
            f"p95 < {TARGET_MS:.0f} ms at {connections} connections",
            load.errors == 0 and load.percentile(0.95) < TARGET_MS,
            [_line(load), *_bound(load, connections)],
        )
        for load in run.loads
    ]
    if figures:
        figures[0].notes.append(
            f"gunicorn {run.server}; floor {_line(run.floor)}; the load generator against a "
            f"trivial server: {_line(run.ceiling)}"
        )
    return figures


def _bound(load: Load, connections: int) -> list[str]:
    """What the machine allows: with ``connections`` requests always in flight, the mean
    latency is at least ``connections`` × server CPU per request ÷ cores (Little's law,
    the cores never idle), whatever the code does with the time."""
    ms, _per_busy = _busy(load)
    if ms != ms:  # no CPU reading
        return []
    cores = os.cpu_count() or 1
    return [
        f"at {connections} connections on {cores} cores the mean cannot be below "
        f"{connections * ms / cores:.0f} ms ({connections} × {ms:.1f} ms ÷ {cores}); a mean "
        f"under {TARGET_MS:.0f} ms needs at most {TARGET_MS * cores / connections:.1f} ms of "
        "server CPU per request"
    ]


def table(run: Measured) -> str:
    """The loads as a Markdown table."""
    cores = os.cpu_count() or 1
    lines = [
        f"At {run.connections} connections; gunicorn {run.server}; {cores} cores.",
        "",
        "| URL | requests | errors | p50 ms | p95 ms | p99 ms | req/s | req/s per core "
        "| server CPU ms/request | req/s per busy core | load avg | p95 < 100 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for load in [run.ceiling, run.floor, *run.loads]:
        ms, per_busy = _busy(load)
        lines.append(
            f"| {load.label} `{load.path}` | {load.requests:,} | {load.errors} "
            f"| {load.percentile(0.5):.1f} | {load.percentile(0.95):.1f} "
            f"| {load.percentile(0.99):.1f} | {load.rate:.0f} | {load.rate / cores:.0f} "
            f"| {ms:.1f} | {per_busy:.0f} | {load.load_average[0]:.1f} "
            f"| {'yes' if load.percentile(0.95) < TARGET_MS and not load.errors else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds per URL.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0, help="Default: 2 × cores + 1.")
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--threads", type=int, default=4, help="Threads per gthread worker.")
    parser.add_argument("--only", default="", help="Only the URLs whose label or path has this.")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url postgres://... (or DATABASE_URL) is required")
    run = measure(
        args.database_url,
        duration=args.duration,
        connections=args.connections,
        log=lambda line: print(line, flush=True),
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        only=args.only,
    )
    print()
    print(table(run))


if __name__ == "__main__":
    main()
