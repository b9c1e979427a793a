"""`make bench`: Liaison measured against the bare cost of its stack, in one run.

Absolute times on a shared machine are noise; a ratio against a baseline measured in the
same run on the same machine is not. This script:

1. drops and creates its own PostgreSQL database (``liaison_bench``), migrates it and
   loads the demo data;
2. starts Redis on 127.0.0.1:6379 if nothing answers there (and only then stops it),
   gunicorn on a free port of 127.0.0.1 (2 × cores sync workers) with
   ``bench.settings`` (the production settings plus two bare baseline views, rate limits
   off), and a Celery worker (concurrency = cores) on Redis db 12 when P4 needs it;
3. runs P1–P7 (see ``MEASUREMENTS``), each against its baseline, printing figure,
   baseline, ratio, target and whether it was met;
4. writes ``docs/performance.md`` (``--smoke``: ``var/bench/performance-smoke.md``) and
   the raw figures as JSON next to it;
5. stops every process it started, on success, failure, Ctrl-C or SIGTERM.

Exit status: 0 when every measurement ran and every correctness check held (a missed
target is reported, not an error: CI machines are loaded); 1 when a measurement failed
or counted wrong (for instance a ballot counted twice).

    .venv/bin/python bench/run.py            # the full run (make bench), ~15 minutes
    .venv/bin/python bench/run.py --smoke    # small sizes, ~1 minute (make bench-smoke)
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = "liaison_bench"
PG_URL = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = 12
BROKER_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
VAR = ROOT / "var" / "bench"
CORES = os.cpu_count() or 1
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", CORES))
BIN = Path(sys.executable).parent
# A key of the run's own: the production WSGI entry point refuses the development key.
SECRET_KEY = secrets.token_urlsafe(50)
# And keys of its own for constituents' personal data (liaison/crypto.py), as production.
FIELD_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
HMAC_KEY = secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Sizes:
    name: str
    wrk_seconds: int
    wrk_rounds: int
    p3_small: int
    p3_large: int
    scale_deputies: int
    p4_tasks: int
    p4_window: float
    p5_deputies: int
    p7_rows: int
    changelist_users: tuple[str, ...]


FULL = Sizes(
    name="full",
    wrk_seconds=10,
    wrk_rounds=2,
    p3_small=10_000,
    p3_large=1_000_000,
    scale_deputies=100_000,
    p4_tasks=100_000,
    p4_window=40,
    p5_deputies=1_000,
    p7_rows=100_000,
    changelist_users=("admin",),
)
SMOKE = Sizes(
    name="smoke",
    wrk_seconds=2,
    wrk_rounds=1,
    p3_small=1_000,
    p3_large=5_000,
    scale_deputies=1_000,
    p4_tasks=300,
    p4_window=120,
    p5_deputies=50,
    p7_rows=500,
    changelist_users=(),
)

WRK_CONNECTIONS = 32


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


# --- Processes ---------------------------------------------------------------------------


class Processes:
    """Every process the bench starts, each in its own process group, stopped at the end
    (also on failure, Ctrl-C and SIGTERM)."""

    def __init__(self):
        self.running: list[tuple[str, subprocess.Popen]] = []
        self.logs: list = []

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        VAR.mkdir(parents=True, exist_ok=True)
        output = open(VAR / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop_all)
        self.logs.append(output)
        process = subprocess.Popen(  # noqa: S603
            args,
            cwd=ROOT,
            env=env or os.environ.copy(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append((name, process))
        log(f"started {name} (pid {process.pid})")
        return process

    def stop(self, process: subprocess.Popen, *, timeout: float = 20) -> None:
        entry = next((item for item in self.running if item[1] is process), None)
        if entry is None:
            return
        self.running.remove(entry)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # Children that outlived their parent (e.g. pool processes) go with the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        log(f"stopped {entry[0]} (pid {process.pid})")

    def stop_all(self) -> None:
        for _name, process in reversed(list(self.running)):
            self.stop(process)
        for output in self.logs:
            output.close()
        self.logs = []


PROCESSES = Processes()


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}")
        try:
            result = check()
        except Exception:  # not up yet
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")


def child_env() -> dict:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"{PG_URL}/{DB_NAME}",
        CELERY_BROKER_URL=BROKER_URL,
        LIAISON_VAR_DIR=str(VAR / "var"),
        DEBUG="0",
        PYTHONPATH=str(ROOT),
        SECRET_KEY=SECRET_KEY,
        LIAISON_FIELD_KEYS=FIELD_KEY,
        LIAISON_HMAC_KEY=HMAC_KEY,
    )
    # The cache is Redis, as in production (station pages, rate-limit counters).
    env["REDIS_URL"] = BROKER_URL
    return env


# --- Results -----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a measurement's table."""

    what: str
    figure: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class Measurement:
    id: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    raw: dict = field(default_factory=dict)
    extra_markdown: str = ""

    def add(self, row: Row) -> None:
        self.rows.append(row)
        verdict = {True: "met", False: "NOT MET", None: ""}[row.met]
        parts = [f"{self.id} {row.what}: {row.figure}"]
        if row.baseline:
            parts.append(f"baseline {row.baseline}")
        if row.ratio:
            parts.append(f"ratio {row.ratio}")
        if row.target:
            parts.append(f"target {row.target} → {verdict}")
        log(" | ".join(parts))

    @property
    def missed(self) -> bool:
        return any(row.met is False for row in self.rows)


class CheckFailed(Exception):
    """A correctness check failed: the bench exits non-zero."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def median_time(fn, *, repeat: int = 3, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# --- The stack ---------------------------------------------------------------------------


def redis_client():
    import redis

    return redis.Redis.from_url(BROKER_URL)


def ensure_redis() -> None:
    try:
        redis_client().ping()
        log("Redis answers on 127.0.0.1:6379")
        return
    except Exception as exc:
        log(f"no Redis on 127.0.0.1:6379 ({exc}); starting one")
    process = PROCESSES.start(
        "redis",
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(VAR),
        ],
    )
    wait_for(lambda: redis_client().ping(), timeout=30, what="redis-server", process=process)


def create_database() -> None:
    import psycopg2

    connection = psycopg2.connect(f"{PG_URL}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB_NAME}")
    connection.close()


def setup_django() -> None:
    os.environ.update(child_env())
    (VAR / "var").mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def call(command: str, *args, **options) -> None:
    from django.core.management import call_command

    with open(VAR / "setup.log", "a", encoding="utf-8") as out:
        call_command(command, *args, stdout=out, stderr=out, **options)


def load_demo() -> None:
    from django.db import connection

    from bench.views import CREATE_TABLE

    started = time.monotonic()
    call("migrate", verbosity=0)
    call("seed_demo", force=True)
    call("seed_demo_suggestions", force=True)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    log(f"database {DB_NAME}: migrated and demo data loaded in {time.monotonic() - started:.0f} s")


def start_gunicorn() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = PROCESSES.start(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "liaison.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(2 * CORES),
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        env=child_env(),
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200,  # noqa: S310
        timeout=60,
        what="gunicorn",
        process=process,
    )
    return process, base


def start_worker() -> subprocess.Popen:
    process = PROCESSES.start(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "liaison",
            "worker",
            "--include",
            "bench.tasks",
            "--concurrency",
            str(WORKER_CONCURRENCY),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            "bench@%h",
        ],
        env=child_env(),
    )
    return process


# --- wrk ---------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, *, seconds: int, script: Path | None = None, env: dict | None = None) -> dict:
    """Run wrk against 127.0.0.1 for a fixed time; return requests/s, p50/p99 (ms) and
    the count of answers that were not 2xx/3xx."""
    assert url.startswith("http://127.0.0.1:"), url
    args = ["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        args += ["-s", str(script)]
    result = subprocess.run(  # noqa: S603
        [*args, url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        env=(os.environ | (env or {})),
        check=False,
    )
    text = result.stdout
    if result.returncode != 0 or "Requests/sec" not in text:
        raise RuntimeError(f"wrk failed ({result.returncode}): {text}\n{result.stderr}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": rps,
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
        "requests": requests,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def wrk_pair(ours: str, theirs: str, sizes: Sizes, *, script=None, env=None):
    """Baseline and ours alternately, ``wrk_rounds`` times each; the mean of each."""
    runs = {"ours": [], "baseline": []}
    for _ in range(sizes.wrk_rounds):
        runs["baseline"].append(wrk(theirs, seconds=sizes.wrk_seconds, script=script, env=env))
        runs["ours"].append(wrk(ours, seconds=sizes.wrk_seconds, script=script, env=env))
    summary = {}
    for side, results in runs.items():
        summary[side] = {
            "rps": statistics.mean(r["rps"] for r in results),
            "p50": statistics.mean(r["p50"] for r in results),
            "p99": statistics.mean(r["p99"] for r in results),
            "requests": sum(r["requests"] for r in results),
            "non_2xx": sum(r["non_2xx"] for r in results),
            "socket_errors": "; ".join(r["socket_errors"] for r in results if r["socket_errors"]),
        }
        bad = summary[side]["non_2xx"]
        check(
            bad <= summary[side]["requests"] * 0.001,
            f"{side}: {bad} of {summary[side]['requests']} answers were not 2xx/3xx",
        )
    return summary


# --- P1, P2: HTTP throughput -------------------------------------------------------------


def p1_submit(m: Measurement, base: str, sizes: Sizes) -> None:
    from stations.models import Station
    from suggestions.models import Category, Suggestion

    station = Station.objects.filter(is_active=True).order_by("code").first()
    category = Category.objects.filter(is_active=True).order_by("sort_order", "code").first()
    env = {"BENCH_STATION": station.code, "BENCH_CATEGORY": category.code}
    script = ROOT / "bench" / "p1_submit.lua"
    before = Suggestion.objects.filter(channel=Suggestion.Channel.API).count()
    # Warm both up (imports, connections, caches) outside the measured runs.
    for path in ("/_bench/insert/", "/api/v1/suggestions/"):
        wrk(base + path, seconds=1, script=script, env=env)
    runs = wrk_pair(
        base + "/api/v1/suggestions/", base + "/_bench/insert/", sizes, script=script, env=env
    )
    ours, theirs = runs["ours"], runs["baseline"]
    stored = Suggestion.objects.filter(channel=Suggestion.Channel.API).count() - before
    m.raw = runs | {"stored": stored}
    ratio = ours["rps"] / theirs["rps"]
    m.add(
        Row(
            "throughput, 32 connections",
            f"{ours['rps']:.0f} req/s",
            f"{theirs['rps']:.0f} req/s",
            f"{ratio:.2f}×",
            "≥ 0.7× baseline",
            ratio >= 0.7,
        )
    )
    m.add(
        Row(
            "p99 latency, 32 connections",
            f"{ours['p99']:.0f} ms",
            f"{theirs['p99']:.0f} ms",
            f"{ours['p99'] / theirs['p99']:.2f}×",
            "≤ 100 ms",
            ours["p99"] <= 100,
        )
    )
    m.add(Row("p50 latency", f"{ours['p50']:.0f} ms", f"{theirs['p50']:.0f} ms"))
    check(stored > 0, "P1 stored no opinion")
    m.notes.append(
        f"{ours['requests']:,} opinions posted in the measured runs ({stored:,} stored in "
        f"all, warm-up included; every one a different text and phone); baseline rows "
        f"inserted: {theirs['requests']:,}. "
        f"gunicorn: {2 * CORES} sync workers; wrk: 2 threads, {WRK_CONNECTIONS} connections, "
        f"{sizes.wrk_seconds} s × {sizes.wrk_rounds} rounds per side, alternating."
    )


def p2_station(m: Measurement, base: str, sizes: Sizes) -> None:
    from stations.models import Station

    station = Station.objects.filter(is_active=True).order_by("code").first()
    page = f"{base}/stations/{station.code}/"
    with urllib.request.urlopen(page, timeout=10) as response:  # noqa: S310
        check(response.status == 200, f"station page answered {response.status}")
        size = len(response.read())
    wrk(page, seconds=1)
    wrk(base + "/_bench/hello/", seconds=1)
    runs = wrk_pair(page, base + "/_bench/hello/", sizes)
    ours, theirs = runs["ours"], runs["baseline"]
    m.raw = runs
    ratio = ours["rps"] / theirs["rps"]
    m.add(
        Row(
            f"/stations/{station.code}/ throughput",
            f"{ours['rps']:.0f} req/s",
            f"{theirs['rps']:.0f} req/s",
            f"{ratio:.2f}×",
            "≥ 0.5× baseline",
            ratio >= 0.5,
        )
    )
    m.add(Row("p99 latency", f"{ours['p99']:.0f} ms", f"{theirs['p99']:.0f} ms"))
    m.notes.append(f"The page is {size:,} bytes of HTML; the baseline answers 5 bytes.")


# --- P3: admin changelist ----------------------------------------------------------------


def _changelist_pages() -> list[tuple[str, str]]:
    s = "/admin/suggestions/suggestion/"
    return [
        ("first page", s),
        ("filter status", f"{s}?status__exact=assigned"),
        ("filter category", f"{s}?category={_first_category()}"),
    ]


def _first_category():
    from suggestions.models import Category

    return Category.objects.order_by("sort_order", "code").values_list("pk", flat=True).first()


def _measure_changelists(users: list[str]) -> dict:
    from django.test import Client

    from bench import admin_changelists
    from liaison.models import User

    figures = {}
    for username in users:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in _changelist_pages():
            times, queries = [], 0
            for _ in range(3):  # three medians of three: steadier on a busy machine
                queries, ms = admin_changelists.measure(client, url)
                times.append(ms)
            figures[(username, label)] = (queries, statistics.median(times))
    return figures


def p3_prepare_small(sizes: Sizes) -> None:
    call("seed_scale", suggestions=sizes.p3_small, deputies=0, force=True)


def p3_changelists(m: Measurement, sizes: Sizes, small: dict) -> None:
    started = time.monotonic()
    call("seed_scale", suggestions=sizes.p3_large, deputies=sizes.scale_deputies, force=True)
    log(f"P3: grown to {sizes.p3_large:,} opinions in {time.monotonic() - started:.0f} s")
    large = _measure_changelists(sorted({user for user, _ in small}))
    for key, (queries, ms) in large.items():
        small_queries, small_ms = small[key]
        ratio = ms / small_ms
        m.add(
            Row(
                f"{key[1]} ({key[0]}), {sizes.p3_large:,} rows",
                f"{ms:.0f} ms, {queries} queries",
                f"{small_ms:.0f} ms, {small_queries} queries at {sizes.p3_small:,} rows",
                f"{ratio:.2f}×",
                "≤ 1.3× and ≤ 6 queries",
                ratio <= 1.3 and queries <= 6,
            )
        )
    m.raw = {
        "small": {f"{u}|{p}": v for (u, p), v in small.items()},
        "large": {f"{u}|{p}": v for (u, p), v in large.items()},
    }
    m.notes.append(
        "Each page through Django's test client, rendering included: one warm-up, then "
        "the median of three medians of three."
    )


def changelist_table(m: Measurement, users: tuple[str, ...]) -> str:
    """bench/admin_changelists.py's table: ours against Django's own ChangeList."""
    import io
    from contextlib import redirect_stdout

    from bench import admin_changelists

    if not users:
        return ""
    out = io.StringIO()
    with redirect_stdout(out):
        admin_changelists.main(list(users))
    return out.getvalue()


# --- P4: routing -------------------------------------------------------------------------

RECEIVED_SQL = """
WITH cases AS (
    INSERT INTO suggestions_case (
        kind, region_id, category_id, title, content, status, outcome, received_at,
        due_date, replied_at, closed_at, reopen_count, satisfaction, merged_into_id
    )
    SELECT 'constituent', pair[1], pair[2]::bigint, '村口路灯不亮',
        '村口路灯不亮已有一段时间，第' || g || '号反映，请尽快修复。', 'received', '',
        now() - g * interval '1 millisecond', NULL, NULL, NULL, 0, '', NULL
    FROM (
        SELECT g, (%(pairs)s::text[])[1 + floor(random() * %(pair_count)s)::int] AS pairtext
        FROM generate_series(1, %(count)s) AS g
    ) AS src, LATERAL string_to_array(pairtext, '|') AS pair
    RETURNING id, received_at
)
INSERT INTO suggestions_suggestion (
    case_ptr_id, tracking_code, channel, station_id, deputy_id, name, phone, phone_hmac,
    do_not_contact, consent_at, consent_version, submission_key, deputy_decision, anonymised_at
)
SELECT id, 'B' || lpad(id::text, 11, '0'), 'api', NULL, NULL, %(name)s, %(phone)s,
    %(phone_hmac)s, false,
    received_at, %(notice_version)s, 'bench-' || id, '', NULL
FROM cases
RETURNING case_ptr_id
"""


def _routable_pairs() -> list[str]:
    """(township, category) pairs that a routing rule covers, to submit opinions in."""
    from liaison.models import Region
    from suggestions import services
    from suggestions.models import Category

    pairs = []
    categories = list(Category.objects.filter(is_active=True))
    townships = Region.objects.filter(level="township").order_by("code")[:40]
    for region in townships:
        for category in categories:
            if services.routing_rule_for(region_code=region.code, category=category):
                pairs.append(f"{region.code}|{category.pk}")
    return pairs


def _publish(tasks: list[tuple[str, dict]]) -> float:
    """Queue the tasks as Celery itself would, but fast: one message per task name is
    published through Celery and taken back as a template; the copies differ in id and
    body only and go to the queue in pipelined LPUSHes, in order (the worker reads FIFO)."""
    import base64
    import uuid

    from liaison.celery import app

    started = time.monotonic()
    client = redis_client()
    queue = app.conf.task_default_queue or "celery"
    templates = {}
    for name in dict.fromkeys(name for name, _kwargs in tasks):
        app.send_task(name, kwargs={})
        raw = client.lpop(queue)
        check(raw is not None, f"P4: the template message for {name} did not reach {queue}")
        templates[name] = json.loads(raw)
    batch = []
    pipe = client.pipeline(transaction=False)
    for name, kwargs in tasks:
        message = dict(templates[name])
        task_id = str(uuid.uuid4())
        message["headers"] = message["headers"] | {
            "id": task_id,
            "root_id": task_id,
            "kwargsrepr": repr(kwargs),
        }
        message["properties"] = message["properties"] | {
            "correlation_id": task_id,
            "delivery_tag": str(uuid.uuid4()),
        }
        body = [[], kwargs, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
        message["body"] = base64.b64encode(json.dumps(body).encode()).decode()
        batch.append(json.dumps(message))
        if len(batch) == 1000:
            pipe.lpush(queue, *batch)
            batch = []
    if batch:
        pipe.lpush(queue, *batch)
    pipe.execute()
    return time.monotonic() - started


def _drain(label: str, tasks: list[tuple[str, dict]], window: float, done=None) -> dict:
    """Queue the tasks between two marks with no worker running, start the worker, and
    time from the first mark: to the last mark when the worker drains the queue within
    ``window`` seconds, else to the end of the window, counting what it did by then
    (``done()``, or what left the queue). The worker's rate, not the publisher's."""
    from liaison.celery import app

    queue = app.conf.task_default_queue or "celery"
    client = redis_client()
    client.delete(f"bench:{label}:start", f"bench:{label}:end")
    queued = _publish(
        [
            ("bench.tasks.mark", {"key": f"bench:{label}:start"}),
            *tasks,
            ("bench.tasks.mark", {"key": f"bench:{label}:end"}),
        ]
    )
    log(f"P4: {len(tasks):,} {label} tasks queued in {queued:.0f} s; the worker starts")
    worker = start_worker()
    try:
        wait_for(
            lambda: client.get(f"bench:{label}:start"),
            timeout=120,
            what=f"worker starting on {label}",
            process=worker,
        )
        start = float(client.get(f"bench:{label}:start"))
        while time.time() - start < window:
            if client.get(f"bench:{label}:end") or worker.poll() is not None:
                break
            time.sleep(0.5)
        end = client.get(f"bench:{label}:end")
        if end:
            finished, count = float(end), len(tasks)
        else:
            finished = time.time()
            # What left the queue, less the end mark and what the worker holds (at most
            # one per process, prefetch 1).
            count = done() if done else len(tasks) + 1 - client.llen(queue) - WORKER_CONCURRENCY
    finally:
        PROCESSES.stop(worker)
        client.delete(queue)
    check(worker.returncode in (0, -15, None) or end, f"P4: the worker died on {label}")
    seconds = finished - start
    return {
        "tasks": len(tasks),
        "done": count,
        "drained": bool(end),
        "seconds": seconds,
        "rate": count / seconds,
    }


def p4_routing(m: Measurement, sizes: Sizes) -> None:
    from django.conf import settings
    from django.db import connection

    from liaison.crypto import encrypt, phone_index
    from suggestions.models import Assignment, Case

    pairs = _routable_pairs()
    check(bool(pairs), "P4: no routing rule covers any township of the demo data")
    with connection.cursor() as cursor:
        cursor.execute(
            RECEIVED_SQL,
            {
                "pairs": pairs,
                "pair_count": len(pairs),
                "count": sizes.p4_tasks,
                "notice_version": settings.LIAISON_PRIVACY_NOTICE_VERSION,
                # Encrypted at rest like every constituent's (liaison/crypto.py).
                "name": encrypt("张三"),
                "phone": encrypt("13900000000"),
                "phone_hmac": phone_index("13900000000"),
            },
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("VACUUM ANALYZE suggestions_case")
        cursor.execute("VACUUM ANALYZE suggestions_suggestion")
    redis_client().flushdb()
    noop = _drain("noop", [("bench.tasks.noop", {})] * sizes.p4_tasks, sizes.p4_window)
    routed_cases = Case.objects.filter(pk__in=ids).exclude(status=Case.Status.RECEIVED)
    route = _drain(
        "route",
        [("suggestions.tasks.route_case", {"case_id": pk}) for pk in ids],
        sizes.p4_window * 3,
        done=routed_cases.count,
    )
    routed = routed_cases.count()
    assigned = Case.objects.filter(pk__in=ids, status=Case.Status.ASSIGNED).count()
    leads = Assignment.objects.filter(
        case_id__in=ids, status=Assignment.Status.ACTIVE, role=Assignment.Role.LEAD
    ).count()
    if route["drained"]:
        check(routed == len(ids), f"P4: {routed:,} of {len(ids):,} opinions were routed")
    check(assigned == routed, f"P4: {routed:,} routed, but {assigned:,} assigned")
    check(leads == routed, f"P4: {leads:,} active lead assignments for {routed:,} routed")
    ratio = route["rate"] / noop["rate"]
    m.raw = {"noop": noop, "route": route}

    def drained(run):
        if run["drained"]:
            return f"all {run['tasks']:,} in {run['seconds']:.0f} s"
        return f"{run['done']:,} of {run['tasks']:,} in the {run['seconds']:.0f} s window"

    m.add(
        Row(
            f"{sizes.p4_tasks:,} queued submissions",
            f"{route['rate']:.0f} routed/s ({drained(route)})",
            f"{noop['rate']:.0f} no-op tasks/s ({drained(noop)})",
            f"{ratio:.2f}×",
            "≥ 0.5× no-op rate",
            ratio >= 0.5,
        )
    )
    m.notes.append(
        f"One worker, concurrency {CORES} (prefork), prefetch 1, acks late (the project's "
        f"Celery settings), Redis db {REDIS_DB}. The opinions are stored by set-based SQL "
        f"(status received, {len(pairs)} township × category pairs a routing rule covers); "
        "their routing tasks are queued with the worker stopped, then the worker starts. "
        f"Checked: every routed opinion assigned, with exactly one active lead assignment. "
        f"Each side is timed from the worker's first task to its last, or to the end of a "
        f"window ({sizes.p4_window:.0f} s for the no-ops, {sizes.p4_window * 3:.0f} s for "
        "routing) with the whole queue still behind it, so that the run keeps to its time; "
        "what is left in the queue is dropped."
    )


# --- P5: ballots -------------------------------------------------------------------------


def _ballot_setup(count: int):
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from liaison.models import User
    from stations.models import Congress, Deputy, Level, Membership
    from votes import services
    from votes.models import BallotCycle, Phase

    clerk = User.objects.get(username="hengyangxian_clerk")
    home = Congress.objects.filter(level=Level.COUNTY, region_id=clerk.region_id).first()
    with transaction.atomic():
        congress = Congress.objects.create(
            level=Level.COUNTY, region=home.region, name=home.name, term="基准测试届"
        )
        unusable = make_password(None)
        users = User.objects.bulk_create(
            [
                User(username=f"bench_voter_{i:05d}", role=User.Role.DEPUTY, password=unusable)
                for i in range(count)
            ]
        )
        deputies = Deputy.objects.bulk_create(
            [
                Deputy(code=f"BV{i:06d}", name=f"代表{i}", region=home.region, user=user)
                for i, user in enumerate(users)
            ]
        )
        Membership.objects.bulk_create(
            [Membership(deputy=deputy, congress=congress) for deputy in deputies]
        )
        tokens = Token.objects.bulk_create(
            [Token(key=Token.generate_key(), user=user) for user in users]
        )
    cycle = BallotCycle(
        congress=congress,
        year=2099,
        title="基准测试民生实事项目票决",
        session="基准测试会议",
        places=3,
        margin_ratio=Decimal("0.20"),
    )
    cycle.full_clean()
    cycle.save()
    proposals = [
        services.proposal_submit(
            cycle=cycle,
            source="public",
            title=f"基准项目{n}",
            content=f"基准测试候选项目{n}，用于测量票决。",
            location="衡阳县",
            estimated_investment=Decimal("100"),
        )
        for n in range(4)
    ]
    services.cycle_move(cycle=cycle, to=Phase.SCREENING, by=clerk)
    candidates = []
    for n, proposal in enumerate(proposals):
        services.proposal_screen(
            proposal=proposal,
            accept=True,
            public_benefit=True,
            feasible=True,
            affordable=True,
            by=clerk,
        )
        candidates.append(
            services.candidate_from_proposals(
                cycle=cycle,
                proposals=[proposal],
                title=f"基准项目{n}",
                description="基准测试候选项目。",
                investment=Decimal("100"),
                responsible_unit="衡阳县人民政府",
                planned_completion=dt.date(2099, 12, 31),
                location="衡阳县",
                by=clerk,
            )
        )
    cycle.refresh_from_db()
    services.cycle_move(cycle=cycle, to=Phase.CANDIDATES, by=clerk)
    round_ = services.voting_open(cycle=cycle, by=clerk)
    services.attendance_set(cycle=cycle, deputies=deputies, by=clerk)
    return clerk, cycle, round_, candidates, [t.key for t in tokens]


def _marks_for(index: int, candidates) -> dict[str, str]:
    """Deputy ``index`` votes for candidates index % 4 and (index + 1) % 4, against the
    third, abstains on the fourth: totals are known in advance."""
    n = len(candidates)
    marks = {}
    for offset, choice in enumerate(("for", "for", "against", "abstain")):
        marks[str(candidates[(index + offset) % n].pk)] = choice
    return marks


def _post_json(base: str, path: str, body: dict, token: str) -> tuple[int, float]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310
        base + path,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status = response.status
            response.read()
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, (time.perf_counter() - started) * 1000


def p5_ballots(m: Measurement, base: str, sizes: Sizes) -> None:
    from votes import services
    from votes.models import Ballot, Mark, RollEntry, RoundResult

    count = sizes.p5_deputies
    clerk, cycle, round_, candidates, tokens = _ballot_setup(count)
    path = f"/api/v1/ballots/{cycle.pk}/cast/"
    # Every deputy once, and a fifth of them a second time at the same moment: the
    # second must be refused (409), whichever arrives first.
    jobs = [(i, tokens[i]) for i in range(count)] + [(i, tokens[i]) for i in range(0, count, 5)]
    random.Random(2026).shuffle(jobs)  # noqa: S311 (an order, not a secret)
    results: list[tuple[int, int, float]] = []
    lock = threading.Lock()

    def cast(job):
        index, token = job
        status, ms = _post_json(base, path, {"marks": _marks_for(index, candidates)}, token)
        with lock:
            results.append((index, status, ms))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WRK_CONNECTIONS) as pool:
        list(pool.map(cast, jobs))
    cast_seconds = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for _index, status, _ms in results:
        statuses[status] = statuses.get(status, 0) + 1
    check(
        statuses.get(201, 0) == count,
        f"P5: {statuses.get(201, 0)} ballots accepted for {count} deputies ({statuses})",
    )
    check(
        statuses.get(409, 0) == len(jobs) - count,
        f"P5: {statuses.get(409, 0)} second ballots refused of {len(jobs) - count} ({statuses})",
    )
    services.round_close(round_=round_, by=clerk)
    round_.refresh_from_db()
    started = time.perf_counter()
    services.round_count(round_=round_, by=clerk)
    count_seconds = time.perf_counter() - started
    round_.refresh_from_db()
    roll = RollEntry.objects.filter(round=round_).count()
    ballots = Ballot.objects.filter(round=round_).count()
    marks = Mark.objects.filter(ballot__round=round_).count()
    check(roll == ballots == count, f"P5: roll {roll}, ballots {ballots}, deputies {count}")
    check(round_.electronic_ballots == count, f"P5: counted {round_.electronic_ballots}")
    check(marks == count * len(candidates), f"P5: {marks} marks for {count} ballots")
    expected: dict[int, dict[str, int]] = {c.pk: {} for c in candidates}
    for index in range(count):
        for pk, choice in _marks_for(index, candidates).items():
            expected[int(pk)][choice] = expected[int(pk)].get(choice, 0) + 1
    for result in RoundResult.objects.filter(round=round_):
        got = {k: v for k, v in result.counts.items() if v}
        check(got == expected[result.candidate_id], f"P5: {result.candidate_id}: {got}")
    latencies = sorted(ms for _i, status, ms in results if status == 201)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    m.raw = {
        "statuses": statuses,
        "cast_seconds": cast_seconds,
        "count_seconds": count_seconds,
        "p99_ms": p99,
    }
    m.add(
        Row(
            f"{count:,} deputies cast at once ({len(jobs) - count} second tries)",
            f"{count} counted once, {statuses.get(409, 0)} refused (409)",
            "",
            "",
            "all counted, none twice",
            True,
        )
    )
    m.add(
        Row(
            "count (round_count)", f"{count_seconds:.3f} s", "", "", "≤ 0.5 s", count_seconds <= 0.5
        )
    )
    m.add(
        Row(
            "casting throughput",
            f"{count / cast_seconds:.0f} ballots/s, p99 {p99:.0f} ms",
        )
    )
    m.notes.append(
        f"Real HTTP: {WRK_CONNECTIONS} client threads POST to {path} with each deputy's API "
        "token. Checked: roll entries = ballots = electronic ballots counted = deputies, "
        "marks = ballots × candidates, and every candidate's totals equal the ballots sent."
    )


# --- P6: deadline sweep ------------------------------------------------------------------

OPEN_ALL_SQL = """
UPDATE suggestions_case SET status = 'assigned'
WHERE status NOT IN ('assigned', 'reopened')
  AND id IN (SELECT case_ptr_id FROM suggestions_suggestion WHERE submission_key LIKE 'scale-%%')
"""
DUE = """CASE WHEN random() < %(due_share)s
    THEN current_date + (floor(random() * 30) - 15)::int
    ELSE current_date + 60 + floor(random() * 300)::int END"""
REOPEN_ASSIGNMENTS_SQL = f"""
UPDATE suggestions_assignment SET status = 'active', due_date = {DUE}
WHERE role = 'lead' AND case_id IN (
    SELECT case_ptr_id FROM suggestions_suggestion WHERE submission_key LIKE 'scale-%%')
"""  # noqa: S608
MISSING_ASSIGNMENTS_SQL = f"""
INSERT INTO suggestions_assignment (
    case_id, department_id, role, status, time_limit_days, time_limit_months, assigned_at,
    due_date, assigned_by_id, return_reason
)
SELECT c.id, d.ids[1 + floor(random() * array_length(d.ids, 1))::int], 'lead', 'active', 15,
    NULL, now(), {DUE}, NULL, ''
FROM suggestions_case c
JOIN suggestions_suggestion s ON s.case_ptr_id = c.id AND s.submission_key LIKE 'scale-%%'
JOIN (SELECT left(region_id, 6) AS county, array_agg(id ORDER BY id) AS ids
      FROM suggestions_department WHERE is_active GROUP BY 1) d ON d.county = left(c.region_id, 6)
WHERE NOT EXISTS (SELECT 1 FROM suggestions_assignment a WHERE a.case_id = c.id AND a.role = 'lead')
"""  # noqa: S608


def _plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


def _sweep_queryset():
    from django.conf import settings
    from django.utils import timezone

    from suggestions.models import Assignment, Case

    today = timezone.localdate()
    horizon = today + dt.timedelta(days=settings.LIAISON_REMINDER_WORKDAYS * 2 + 20)
    return (
        Assignment.objects.filter(
            status=Assignment.Status.ACTIVE,
            case__status__in=Case.HANDLING_STATUSES,
            due_date__lte=horizon,
        )
        .select_related("case", "department")
        .order_by("due_date", "id")
    )


def _sweep_plan(sql: str, params) -> tuple[bool, str]:
    """Whether the plan reads suggestions_assignment through an index, and how."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
    scans = [n for n in _plan_nodes(plan) if n.get("Relation Name") == "suggestions_assignment"]
    uses_index = bool(scans) and all(
        "Index" in n["Node Type"] or n["Node Type"] == "Bitmap Heap Scan" for n in scans
    )
    described = ", ".join(
        f"{n['Node Type']}{' on ' + n['Index Name'] if n.get('Index Name') else ''}" for n in scans
    )
    return uses_index, described


def p6_sweep(m: Measurement, sizes: Sizes) -> None:
    from django.db import connection

    from suggestions import services
    from suggestions.models import Assignment, Case, DeadlineNotice

    due_share = 1000 / sizes.p3_large
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(OPEN_ALL_SQL)
        cursor.execute(REOPEN_ASSIGNMENTS_SQL, {"due_share": due_share})
        cursor.execute(MISSING_ASSIGNMENTS_SQL, {"due_share": due_share})
        for table in ("suggestions_case", "suggestions_assignment"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    open_count = Assignment.objects.filter(
        status=Assignment.Status.ACTIVE, case__status__in=Case.HANDLING_STATUSES
    ).count()
    log(f"P6: {open_count:,} open assignments ready in {time.monotonic() - started:.0f} s")
    check(open_count >= sizes.p3_large, f"P6: only {open_count:,} open assignments")

    query = _sweep_queryset()
    due_rows = query.count()
    sql, params = query.query.sql_with_params()
    uses_index, scans = _sweep_plan(sql, params)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    started = time.perf_counter()
    first = services.deadlines_sweep()
    first_seconds = time.perf_counter() - started
    notices = DeadlineNotice.objects.count()
    check(sum(first.values()) == notices, f"P6: first sweep sent {first}, {notices} notices")
    sweep_seconds = median_time(services.deadlines_sweep, repeat=3, warmup=0)
    again = services.deadlines_sweep()
    check(sum(again.values()) == 0, f"P6: a later sweep sent notices again: {again}")
    baseline_seconds = median_time(baseline, repeat=3)
    ratio = sweep_seconds / baseline_seconds
    m.raw = {
        "open": open_count,
        "due": due_rows,
        "first": first,
        "first_seconds": first_seconds,
        "sweep_seconds": sweep_seconds,
        "baseline_seconds": baseline_seconds,
        "plan": scans,
    }
    m.add(
        Row(
            f"sweep over {open_count:,} open assignments ({due_rows:,} due in the horizon)",
            f"{sweep_seconds * 1000:.0f} ms",
            f"{baseline_seconds * 1000:.0f} ms (one SELECT of the due rows)",
            f"{ratio:.2f}×",
            "≤ 2× baseline",
            ratio <= 2,
        )
    )
    m.add(Row("plan of the sweep's query", scans, "", "", "uses an index", uses_index))
    m.add(
        Row(
            "first sweep (sends the notices)",
            f"{first_seconds * 1000:.0f} ms, {first['reminder']} reminders, "
            f"{first['overdue']} overdue notices",
        )
    )
    m.notes.append(
        "Every opinion of the scale data made open (status assigned, one active lead "
        f"assignment); {due_share:.2%} of them due between 15 days ago and 15 days ahead, "
        "the rest 60–360 days ahead. The figure is the sweep as beat runs it every few "
        "minutes: the notices of the first pass are sent, later passes find them. The "
        "baseline runs the sweep's own SELECT once and fetches its rows."
    )


# --- P7: import --------------------------------------------------------------------------


def p7_import(m: Measurement, sizes: Sizes) -> None:
    import tablib
    from django.contrib import admin
    from django.core.files.base import ContentFile
    from django.db import connection, transaction
    from django.utils import translation

    from liaison import jobs
    from liaison.models import Job, Region, User
    from stations.models import Deputy

    clerk = User.objects.get(username="hengyangxian_clerk")
    regions = list(
        Region.objects.filter(code__startswith=clerk.region_id[:6]).values_list("code", flat=True)
    )
    count = sizes.p7_rows
    rows = [
        (
            f"IM{i:07d}",
            f"代表{i}",
            "F" if i % 2 else "M",
            regions[i % len(regions)],
            "村党支部书记",
            f"139{i:08d}",
            1,
        )
        for i in range(count)
    ]
    headers = ["code", "name", "gender", "region", "occupation", "phone", "is_active"]
    content = tablib.Dataset(*rows, headers=headers).export("xlsx")

    def bulk():
        with transaction.atomic():
            Deputy.objects.bulk_create(
                [
                    Deputy(
                        code=code,
                        name=name,
                        gender=gender,
                        region_id=region,
                        occupation=occupation,
                        phone=phone,
                        is_active=bool(active),
                    )
                    for code, name, gender, region, occupation, phone, active in rows
                ],
                batch_size=1000,
            )

    started = time.perf_counter()
    bulk()
    baseline_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM stations_deputy WHERE code LIKE 'IM%%'")
        cursor.execute("VACUUM ANALYZE stations_deputy")

    formats = [f.__name__.lower() for f in admin.site.get_model_admin(Deputy).get_import_formats()]
    with translation.override("zh-hans"):
        job = jobs.start(
            "import",
            user=clerk,
            upload=ContentFile(content, name="deputies.xlsx"),
            params={
                "app_label": "stations",
                "model_name": "deputy",
                "resource": 0,
                "format": formats.index("xlsx"),
                "file_name": "deputies.xlsx",
            },
        )
    started = time.perf_counter()
    jobs.run(job.pk)
    import_seconds = time.perf_counter() - started
    job.refresh_from_db()
    check(job.status == Job.Status.SUCCEEDED, f"P7: the import job {job.status}: {job.error}")
    landed = Deputy.objects.filter(code__startswith="IM").count()
    check(landed == count, f"P7: {landed:,} of {count:,} deputies landed")
    ours, theirs = count / import_seconds, count / baseline_seconds
    ratio = ours / theirs
    m.raw = {"import_seconds": import_seconds, "bulk_seconds": baseline_seconds}
    m.add(
        Row(
            f"xlsx import of {count:,} deputies (background job)",
            f"{ours:,.0f} rows/s ({import_seconds:.1f} s)",
            f"{theirs:,.0f} rows/s ({baseline_seconds:.1f} s, bulk_create)",
            f"{ratio:.2f}×",
            "≥ 0.25× baseline",
            ratio >= 0.25,
        )
    )
    m.notes.append(
        f"The job as the worker runs it (liaison.jobs.run) for the county clerk of 衡阳县: "
        f"read the {len(content) / 1e6:.1f} MB file, check every row, write in one "
        "transaction with the audit trail and the admin's history. The baseline is "
        "Deputy.objects.bulk_create of the same rows in one transaction (batches of "
        "1,000), deleted again before the import."
    )


# --- The report --------------------------------------------------------------------------

MEASUREMENTS = {
    "P1": "POST /api/v1/suggestions/ against a bare view that inserts one row",
    "P2": "Station page against a bare view returning a short string",
    "P3": "Admin opinion changelist at 1,000,000 rows against the same page at 10,000",
    "P4": "Routing: a worker draining queued submissions against no-op tasks",
    "P5": "Deputies casting ballots at once, then the count",
    "P6": "Deadline sweep over open assignments against one SELECT of the due rows",
    "P7": "xlsx import of deputies against bulk_create of the same rows",
}


def _version(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception:
        return "unknown"


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    redis_version = redis_client().info("server").get("redis_version", "unknown")
    import django

    return {
        "cpu": cpu,
        "cores": CORES,
        "memory": memory,
        "os": platform.platform(),
        "postgres": postgres,
        "redis": redis_version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "wrk": _version(["wrk", "--version"]),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def render(
    sizes: Sizes,
    results: list[Measurement],
    host: dict,
    command: str,
    started: dt.datetime,
    seconds: float,
    table: str,
) -> str:
    lines = [
        "# Performance",
        "",
        "<!-- Generated by bench/run.py (`make bench`); edit bench/notes.md or the script, "
        "not this file. -->",
        "",
        "Absolute times on a shared machine are noise; what holds is a ratio against a "
        "baseline measured in the same run, on the same machine, through the same stack. "
        "Tests assert query counts, never times.",
        "",
        f"- Command: `{command}` ({sizes.name} sizes), {seconds / 60:.1f} minutes in all",
        f"- Date: {started:%Y-%m-%d %H:%M %Z}".rstrip(),
        f"- Machine: {host['cpu']}, {host['cores']} cores, {host['memory']} memory; "
        f"{host['os']}; load average at the end {host['load']}",
        f"- Software: PostgreSQL {host['postgres']}, Redis {host['redis']}, "
        f"Python {host['python']}, Django {host['django']}, {host['wrk']}",
        "- Stack: gunicorn (sync workers, 2 × cores) and a Celery worker (prefork, "
        f"concurrency = cores, Redis db {REDIS_DB}) on 127.0.0.1, database `{DB_NAME}` "
        "created for the run; settings `bench.settings` (production settings, per-address "
        "rate limits off, two bench-only baseline views).",
        "",
        "## Summary",
        "",
        "| id | what | result |",
        "| --- | --- | --- |",
    ]
    for m in results:
        if m.error:
            verdict = "error"
        elif m.missed:
            verdict = "target not met"
        else:
            verdict = "met"
        lines.append(f"| {m.id} | {MEASUREMENTS[m.id]} | {verdict} |")
    for m in results:
        lines += ["", f"## {m.id}: {m.title}", ""]
        if m.error:
            lines += ["**Error:**", "", "```", m.error.strip(), "```", ""]
        if m.rows:
            lines += [
                "| measured | figure | baseline | ratio | target | met |",
                "| --- | --- | --- | ---: | --- | --- |",
            ]
            for row in m.rows:
                met = {True: "yes", False: "**no**", None: ""}[row.met]
                lines.append(
                    f"| {row.what} | {row.figure} | {row.baseline} | {row.ratio} | "
                    f"{row.target} | {met} |"
                )
        if m.notes:
            lines.append("")
            lines += [f"{note}" for note in m.notes]
        lines.append(f"\n({m.seconds:.0f} s including set-up.)")
        if m.extra_markdown:
            lines += ["", m.extra_markdown.rstrip()]
    if table:
        lines += [
            "",
            "## Admin changelists against Django's own",
            "",
            "The admin's opinion and deputy lists at the scale above, against the same model "
            "admins with Django's own `ChangeList`, `Paginator` and change-list template put "
            "back (exact counts of the filtered table, the date drill-down's "
            "`SELECT DISTINCT`), in the same run (bench/admin_changelists.py). Each page "
            "fetched once to warm up, then three times; the median is shown. "
            "Ratio = Django's time / ours. `admin` is a superuser (no region scope), "
            "`hengyangxian_clerk` a county office.",
            "",
            table.rstrip(),
        ]
    notes = ROOT / "bench" / "notes.md"
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines) + "\n"


# --- Main --------------------------------------------------------------------------------


def run(sizes: Sizes, output: Path, command: str, only: set[str]) -> int:
    started_at = dt.datetime.now().astimezone()
    started = time.monotonic()
    results: list[Measurement] = []
    failed = False

    def measure(mid: str, fn, *args):
        nonlocal failed
        m = Measurement(mid, MEASUREMENTS[mid])
        results.append(m)
        if only and mid not in only:
            m.error = "skipped (--only)"
            return m
        log(f"{mid}: {m.title}")
        began = time.monotonic()
        try:
            fn(m, *args)
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            failed = True
            m.error = "".join(traceback.format_exception(exc))[-3000:]
            log(f"{mid} FAILED: {exc}")
        m.seconds = time.monotonic() - began
        return m

    ensure_redis()
    redis_client().flushdb()
    create_database()
    setup_django()
    load_demo()
    # P3's small database comes first: the 10,000-row page, before anything grows it.
    small: dict = {}

    def p3_small(m):
        p3_prepare_small(sizes)
        small.update(_measure_changelists(["admin", "hengyangxian_clerk"]))

    p3_holder = Measurement("P3", MEASUREMENTS["P3"])
    try:
        began = time.monotonic()
        if not only or "P3" in only:
            p3_small(p3_holder)
        small_seconds = time.monotonic() - began
    except Exception as exc:
        small_seconds = 0
        failed = True
        p3_holder.error = "".join(traceback.format_exception(exc))[-3000:]

    gunicorn, base = start_gunicorn()
    try:
        measure("P1", p1_submit, base, sizes)
        measure("P2", p2_station, base, sizes)
        measure("P5", p5_ballots, base, sizes)
    finally:
        PROCESSES.stop(gunicorn)
    measure("P7", p7_import, sizes)
    measure("P4", p4_routing, sizes)
    if p3_holder.error:
        results.append(p3_holder)
    else:
        m = measure("P3", p3_changelists, sizes, small)
        m.seconds += small_seconds
    table = ""
    if sizes.changelist_users and not (only and "P3" not in only):
        log("admin changelists against Django's own (bench/admin_changelists.py)")
        try:
            table = changelist_table(results[-1], sizes.changelist_users)
        except Exception as exc:
            failed = True
            results[-1].error += "".join(traceback.format_exception(exc))[-2000:]
    measure("P6", p6_sweep, sizes)
    results.sort(key=lambda m: m.id)

    seconds = time.monotonic() - started
    host = machine()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        render(sizes, results, host, command, started_at, seconds, table), encoding="utf-8"
    )
    raw = {
        "sizes": sizes.__dict__,
        "machine": host,
        "date": started_at.isoformat(),
        "seconds": seconds,
        "measurements": {
            m.id: {
                "rows": [r.__dict__ for r in m.rows],
                "raw": m.raw,
                "error": m.error,
                "seconds": m.seconds,
            }
            for m in results
        },
    }
    (VAR / f"results-{sizes.name}.json").write_text(
        json.dumps(raw, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    log(f"wrote {output} in {seconds / 60:.1f} minutes")
    for m in results:
        state = "ERROR" if m.error else ("target not met" if m.missed else "met")
        log(f"  {m.id}: {state}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="Small sizes (CI): ~1 minute.")
    parser.add_argument("--output", type=Path, help="Where to write the report.")
    parser.add_argument("--only", default="", help="Comma-separated ids, e.g. P1,P2 (debug).")
    parser.add_argument(
        "--set", action="append", default=[], metavar="SIZE=N", help="Override a size (debug)."
    )
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    for item in args.set:
        key, value = item.split("=", 1)
        sizes = dataclasses.replace(sizes, **{key: type(getattr(sizes, key))(value)})
    output = args.output or (
        VAR / "performance-smoke.md" if args.smoke else ROOT / "docs" / "performance.md"
    )
    only = {item.strip().upper() for item in args.only.split(",") if item.strip()}
    command = "make bench-smoke" if args.smoke else "make bench"
    if args.only or args.set:
        command = " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    atexit.register(PROCESSES.stop_all)
    try:
        return run(sizes, output.resolve(), command, only)
    except KeyboardInterrupt:
        log("interrupted: stopping everything the bench started")
        return 130
    finally:
        PROCESSES.stop_all()


if __name__ == "__main__":
    sys.exit(main())
