"""Fixtures of the fault tests: real workers, beats and servers, and the figures they
print at the end of the run (in ``make test`` output, whatever the -r flags)."""

import subprocess

import pytest
from django.core.cache import cache

from tests.factories import StationFactory, make_category, make_department, make_rule, make_user
from tests.fakes import FakeGateway
from tests.reliability.procs import Processes, database_url
from tests.workers import REDIS_URL, _redis_up

FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("fault figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def figures():
    """``figures(line)`` prints a line now and in the run's summary."""

    def record(line: str) -> None:
        print(line)
        FIGURES.append(line)

    return record


@pytest.fixture
def gateway():
    with FakeGateway() as fake:
        yield fake


def flush_redis(url: str) -> None:
    subprocess.run(
        ["redis-cli", "-n", url.rsplit("/", 1)[1], "flushdb"], check=False, capture_output=True
    )


@pytest.fixture
def processes(transactional_db, tmp_path, gateway, request):
    """Start workers (``processes.worker(name, …)``) on the real Redis and the test
    database, sending SMS to the fake gateway; all are stopped at the end of the test,
    and their logs are shown if it failed."""
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI starts it)")
    flush_redis(REDIS_URL)
    started = Processes(
        tmp_path,
        {
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "SMS_BACKEND": "liaison.sms.HttpSmsBackend",
            "SMS_HTTP_URL": gateway.url,
            "SMS_HTTP_TOKEN": gateway.token,
            "FAULT_DIR": str(tmp_path),
            "LOG_LEVEL": "WARNING",
        },
    )
    yield started
    started.stop_all()
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        print(started.logs())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def routed(xidu, hengyang_county):
    """A station in Xidu township and a rule routing its category to a county bureau
    with one handler: every opinion there is routed to one assignment."""
    cache.clear()  # rate limits and cached reference rows start afresh
    handler = make_user("faults-handler", role="department")
    bureau = make_department("衡阳县故障测试局", hengyang_county, users=[handler])
    category = make_category("faults", "故障测试")
    make_rule(hengyang_county, bureau, category=category, days=10)
    station = StationFactory(code="FLT001", name="西渡镇故障测试联络站", region=xidu)
    return station, category, bureau


@pytest.fixture
def beat_processes(tmp_path):
    """Start ``celery`` processes that need Redis but no database (beat)."""
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI starts it)")
    started = Processes(tmp_path, {"LOG_LEVEL": "WARNING"})
    yield started
    started.stop_all()
