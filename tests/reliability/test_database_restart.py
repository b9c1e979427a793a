"""Issue 9, fault 4: the database restarts under load. Requests fail with a clear 503 (the
site's page in Chinese, or the API's JSON error), never a traceback, and succeed again
once the database is back, without restarting the web server.

The shared PostgreSQL server is never touched: the test runs a cluster of its own
(initdb into a temporary folder, on a free port) with a copy of the test database, and
gunicorn on top of it; then it stops and starts that cluster while clients keep asking.
"""

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from tests.reliability.procs import children_of
from tests.workers import ROOT, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENTS = 4


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster: trust authentication, 127.0.0.1 only, no fsync.
    Run as the postgres account when the tests run as root (initdb refuses root)."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="liaison-faults-pg-"))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/liaison"

    def run(self, tool: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, timeout=60, **kwargs)

    def init(self) -> None:
        self.run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        log = str(self.folder / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster(transactional_db, routed):
    """A cluster of our own holding a copy of the test database (schema and rows)."""
    bin_dir = _pg_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("needs the PostgreSQL server binaries (initdb, pg_ctl; CI installs them)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root needs runuser to start PostgreSQL as postgres")
    own = Cluster(bin_dir)
    try:
        own.init()
        own.start()
        own.run("createdb", "-h", "127.0.0.1", "-p", str(own.port), "-U", "postgres", "liaison")
        s = connection.settings_dict
        dump = subprocess.run(
            [
                str(bin_dir / "pg_dump"),
                "--no-owner",
                "-h", s["HOST"] or "127.0.0.1",
                "-p", str(s["PORT"] or 5432),
                "-U", s["USER"],
                s["NAME"],
            ],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        own.run(
            "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(own.port),
            "-U", "postgres", "-d", "liaison", input=dump.stdout,
        )  # fmt: skip
        yield own
    finally:
        own.remove()


@pytest.fixture
def web(cluster, tmp_path):
    """gunicorn serving the site from the cluster, as in production (DEBUG off)."""
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.reliability.web_settings",
        "DATABASE_URL": cluster.url,
        "DEBUG": "0",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LIAISON_VAR_DIR": str(tmp_path / "var"),
        "LIAISON_SUBMIT_RATE": "",
        "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",  # publishing is the outbox's business
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "liaison.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _get(f"{url}/healthz")[0] in (200, 503), 30), (
            tmp_path / "gunicorn.log"
        ).read_text()
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _get(url: str, data: bytes | None = None) -> tuple[int, str, str]:
    headers = {"Content-Type": "application/json"} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()
    except OSError as error:
        return 0, "", repr(error)


def test_a_database_restart_answers_503_then_recovers_without_a_server_restart(
    cluster, web, routed, figures
):
    url, server = web
    station, category, _bureau = routed
    submission = json.dumps(
        {
            "station": station.code,
            "category": category.code,
            "title": "水管漏水",
            "content": "小区门口水管漏水三天了。",
            "phone": "13912340000",
            "do_not_contact": True,
            "consent": True,
        }
    ).encode()
    requests = [
        ("/", None),  # the finder page
        ("/ballots/", None),
        ("/api/v1/categories/", None),
        ("/api/v1/stations/", None),
        ("/api/v1/suggestions/", submission),
    ]
    phase = ["before"]
    answers: list[tuple[str, str, int, str, str]] = []
    stop = threading.Event()

    def client(offset: int) -> None:
        n = offset
        while not stop.is_set():
            path, body = requests[n % len(requests)]
            started_in = phase[0]
            status, kind, text = _get(url + path, body)
            # A request in flight while the phase changed counts in neither.
            answers.append((started_in if phase[0] == started_in else "", path, status, kind, text))
            n += 1

    workers_before = sorted(children_of(server.pid))
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        phase[0] = "down"
        cluster.stop()
        time.sleep(3)
        phase[0] = "starting"
        cluster.start()
        phase[0] = "after"
        back = time.monotonic()
        wait_for(lambda: sum(a[0] == "after" for a in answers) >= 4 * len(requests), 30)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    with translation.override("zh-hans"):
        page_title = gettext("Service temporarily unavailable")
        api_detail = gettext("The service is temporarily unavailable. Please try again.")
        site_name = gettext("Deputy Liaison Stations")
    by_phase = {p: [a for a in answers if a[0] == p] for p in ("before", "down", "after")}
    outage = by_phase["down"]
    unavailable = [a for a in outage if a[2] == 503]
    figures(
        f"faults: database restart under load: requests={len(answers)} "
        f"before_ok={sum(a[2] in (200, 201) for a in by_phase['before'])}/"
        f"{len(by_phase['before'])} outage_503={len(unavailable)}/{len(outage)} "
        f"after_ok={sum(a[2] in (200, 201) for a in by_phase['after'])}/"
        f"{len(by_phase['after'])} back_in={time.monotonic() - back:.1f}s"
    )

    assert {a[2] for a in by_phase["before"]} <= {200, 201}, by_phase["before"][:3]
    # Never a traceback or an error's name, whatever the answer.
    for _phase, path, status, _kind, text in answers:
        assert "Traceback" not in text and "OperationalError" not in text, (path, text[:500])
        assert status != 500, (path, text[:500])
    # While the database is down, every request is a clear 503.
    assert len(unavailable) >= 10 and len(unavailable) == len(outage), {
        (a[1], a[2]) for a in outage
    }
    for _phase, path, _status, kind, text in unavailable:
        if path.startswith("/api/"):
            assert kind.startswith("application/json")
            assert json.loads(text) == {"detail": api_detail, "code": "service_unavailable"}
        else:
            assert kind.startswith("text/html")
            assert 'lang="zh-Hans"' in text and site_name in text and page_title in text
    # Back without a restart: the same server and worker processes answer again.
    assert by_phase["after"] and {a[2] for a in by_phase["after"]} <= {200, 201}, {
        (a[1], a[2], a[4][:200]) for a in by_phase["after"] if a[2] not in (200, 201)
    }
    assert server.poll() is None and sorted(children_of(server.pid)) == workers_before
