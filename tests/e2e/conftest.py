"""End-to-end journeys in a real browser: Playwright driving Debian's Chromium against
the live server (pytest-django's, in this process), with the real Celery worker on
Redis (tests/workers.py) doing the routing.

No browser is downloaded: Playwright launches /usr/bin/chromium (`.ci/run` installs it
and fonts-noto-cjk). Without Chromium or the playwright package the whole package is
skipped and says why.

Screenshots go to a temporary folder; with ``LIAISON_SCREENSHOTS=1`` they go to
docs/screenshots/, the ones the README shows.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.e2e import checks
from tests.e2e.town import town  # noqa: F401  (fixture)
from tests.e2e.vendor import fetch_axe
from tests.workers import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
TIMEOUT_MS = 15_000


def _missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (pip install -e '.[dev]')"
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    return ""


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if not reason:
        return
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def chromium():
    """Chromium, for one test module at a time.

    Playwright's sync API keeps an event loop running in this thread, and Django then
    refuses ORM calls here (SynchronousOnlyOperation). The journeys use the ORM only to
    arrange data and read outcomes, never during a request of their own, so the check
    is switched off, but only while the browser runs: the tests of other modules get
    both back (the loop gone, the check on).
    """
    from playwright.sync_api import sync_playwright

    fetch_axe()  # before the first page, so a network failure is reported as such
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"],
            # Chromium's own words on the page (a file input's button) in Chinese too.
            env=os.environ | {"LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"},
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server (this package's own instance), whose middleware is
    built without the redirect to HTTPS: the browser speaks plain HTTP to localhost,
    with no proxy in front to say the connection was secure."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False)
    # SecurityMiddleware reads the setting once, when the server thread builds its handler.
    with override_settings(SECURE_SSL_REDIRECT=False):
        server.start()
    yield server
    server.stop()


@pytest.fixture
def site(settings, live_server):
    """The live server's origin. Cookies that are Secure in production are not here:
    plain HTTP."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False
    cache.clear()  # rate limits and cached pages from earlier tests
    return live_server.url


@pytest.fixture
def routed(shared_media, worker, broker):
    """The real worker consuming from Redis, and this process publishing there: the
    outbox's relay reaches the worker, which routes, sends SMS and runs jobs."""
    broker(REDIS_URL)
    return worker


def _serve_media(route, request, media_root: Path):
    # In production the reverse proxy serves /media/ (README); here the browser's own
    # network layer stands in for it.
    relative = request.url.split("/media/", 1)[1].split("?", 1)[0]
    path = (media_root / relative).resolve()
    if media_root.resolve() not in path.parents or not path.is_file():
        route.fulfill(status=404)
    else:
        route.fulfill(path=str(path))


def _context(chromium, settings, site, problems: list, **options):
    context = chromium.new_context(
        base_url=site, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    # axe-core goes in before the page's own scripts, as DevTools would put it: the
    # site's Content-Security-Policy (script-src 'self') stays in force for the site.
    context.add_init_script(path=str(fetch_axe()))
    media_root = Path(settings.MEDIA_ROOT)
    context.route(
        f"{site}/media/**", lambda route, request: _serve_media(route, request, media_root)
    )
    # A script error or a CSP refusal is a broken page even when it looks right.
    context.on("weberror", lambda error: problems.append(f"script error: {error.error}"))
    context.on(
        "console",
        lambda message: (
            problems.append(
                f"{message.page.url if message.page else '?'}: console {message.type}: "
                f"{message.text} ({message.location.get('url', '')})"
            )
            if message.type == "error"
            else None
        ),
    )
    return context


@pytest.fixture
def phone(chromium, settings, site):
    """A fresh phone-sized browser (390×844, touch) speaking Chinese; call it again for
    a second person on another phone. Fails the test on a script error or a console
    error (a refused script, a missing file) on any of its pages."""
    contexts, problems = [], []

    def open_page():
        context = _context(chromium, settings, site, problems, **PHONE)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def desktop(chromium, settings, site):
    """A fresh desktop browser (1366×900) speaking Chinese, for the admin."""
    problems = []
    context = _context(chromium, settings, site, problems, **DESKTOP, accept_downloads=True)
    yield context.new_page()
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def shot_folder(tmp_path_factory) -> Path:
    if os.environ.get("LIAISON_SCREENSHOTS") == "1":
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def shots(shot_folder):
    """Save a screenshot of the page as docs/screenshots/<name>.png (or a temp folder)."""

    def take(page, name: str, **options):
        return checks.screenshot(shot_folder, page, name, **options)

    return take
