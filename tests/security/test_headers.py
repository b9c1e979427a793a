"""Security headers on every kind of page: the public site, the admin, the API and its
documentation; HSTS and secure cookies under production settings; and a check of the
templates so that a new inline script fails the suite instead of the Content-Security-
Policy failing in a visitor's browser."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


def csp(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    policy = {}
    for part in header.split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


def assert_strict_policy(response) -> None:
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"], "no inline script, no eval, no other host"
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


# --- Every kind of page ------------------------------------------------------------------------


def test_the_public_home_page(client):
    response = client.get(reverse("stations:home"))
    assert response.status_code == 200
    assert_strict_policy(response)


def test_the_sign_in_page(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_strict_policy(response)


def test_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_strict_policy(response)


def test_the_admin_sign_in_page(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_strict_policy(response)


def test_the_api(client):
    response = client.get(reverse("suggestions:api_categories"))
    assert response.status_code == 200
    assert_strict_policy(response)


def test_an_api_error_and_a_404_carry_the_headers_too(client):
    assert_strict_policy(client.get("/api/v1/no-such-thing/"))
    assert_strict_policy(client.get("/no-such-page/"))


def test_a_style_block_carries_the_nonce_of_its_response(client):
    """Pages with a <style> block (the ballot pages) put the request's nonce on it and
    in the header; each response has its own."""
    first = client.get(reverse("votes:cycles"))
    second = client.get(reverse("votes:cycles"))
    nonces = []
    for response in (first, second):
        (nonce,) = re.findall(r'<style nonce="([^"]+)"', response.content.decode())
        assert f"'nonce-{nonce}'" in csp(response)["style-src"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_swagger_ui_loads_its_start_up_script_from_a_url(client):
    page = client.get(reverse("api_docs"))
    assert page.status_code == 200
    assert_strict_policy(page)
    body = page.content.decode()
    assert not re.search(r"<script>", body)
    script = client.get(reverse("api_docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_alone_may_use_inline_styles_and_a_blob_worker(client):
    response = client.get(reverse("api_redoc"))
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert "blob:" in policy["worker-src"]
    assert "<script>" not in response.content.decode()


# --- HSTS and cookies in production --------------------------------------------------------------


def production_settings(extra_env: dict | None = None) -> dict:
    """Settings as ``DEBUG=0`` reads them, from a fresh process (liaison/settings.py is
    read once per process)."""
    env = os.environ | {
        "DEBUG": "0",
        "SECRET_KEY": "x7#kq!2v9@mzp4$w8rt6&yb1^hn3e5*uj0c-ls_fgda+oi=QpLr8vTz",
        "ALLOWED_HOSTS": "lls.example.gov.cn",
    }
    env |= extra_env or {}
    names = [
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_SAMESITE",
        "LANGUAGE_COOKIE_SECURE",
        "LANGUAGE_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
    ]
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "liaison.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_http_only_and_same_site():
    values = production_settings()
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_development_settings_keep_plain_http_working():
    values = production_settings({"DEBUG": "1"})
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert not values["SECURE_SSL_REDIRECT"]


@pytest.mark.skipif(django_settings.DEBUG, reason="the suite runs with production settings")
def test_hsts_is_sent_only_behind_tls(client):
    plain = client.get(reverse("stations:home"))
    assert "Strict-Transport-Security" not in plain
    behind_tls = client.get(reverse("stations:home"), HTTP_X_FORWARDED_PROTO="https")
    hsts = behind_tls["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts


@pytest.mark.skipif(django_settings.DEBUG, reason="the suite runs with production settings")
def test_the_session_cookie_of_a_sign_in_is_secure_and_http_only(client, deputy_user):
    response = client.post(
        reverse("login"),
        {"username": "dora", "password": "correct horse battery"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.skipif(django_settings.DEBUG, reason="the suite runs with production settings")
def test_plain_http_is_redirected_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # conftest turns it off for the other tests
    response = client.get(reverse("stations:home"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get("/healthz").status_code != 301  # the load balancer's probe stays on HTTP


# --- Templates --------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")", re.I
)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)
STYLE_BLOCK = re.compile(r"<style(?![^>]*\bnonce=)", re.I)


def template_files():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".svg", ".txt"})


def test_the_template_scan_sees_the_templates():
    names = {p.relative_to(TEMPLATES).as_posix() for p in template_files()}
    assert {"base.html", "votes/deputy/ballot.html", "admin/base_site.html"} <= names


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (INLINE_SCRIPT, "an inline <script> (put it in a static file)"),
        (EVENT_HANDLER, "an inline event handler (add a listener in a static script)"),
        (JS_URL, "a javascript: URL"),
        (STYLE_BLOCK, 'a <style> block without nonce="{{ request.csp_nonce }}"'),
    ],
    ids=["inline-script", "event-handler", "javascript-url", "style-without-nonce"],
)
def test_no_template_has_what_the_policy_refuses(pattern, what):
    found = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in template_files()
        for text in [path.read_text(encoding="utf-8")]
        for match in pattern.finditer(text)
    ]
    assert not found, f"The Content-Security-Policy refuses {what}: {', '.join(found)}"


@pytest.mark.parametrize(
    ("snippet", "pattern"),
    [
        ("<script>alert(1)</script>", INLINE_SCRIPT),
        ('<script type="module">x()</script>', INLINE_SCRIPT),
        ('<button onclick="go()">', EVENT_HANDLER),
        ('<a href="javascript:go()">', JS_URL),
        ("<style>p{}</style>", STYLE_BLOCK),
    ],
)
def test_the_template_scan_catches_each_kind(snippet, pattern):
    assert pattern.search(snippet)


@pytest.mark.parametrize(
    ("snippet", "pattern"),
    [
        ('<script src="/static/js/x.js" defer></script>', INLINE_SCRIPT),
        ('<script type="application/json" id="d">{}</script>', INLINE_SCRIPT),
        ('<button data-print type="button">', EVENT_HANDLER),
        ('<style nonce="{{ request.csp_nonce }}">p{}</style>', STYLE_BLOCK),
    ],
)
def test_the_template_scan_lets_the_allowed_forms_pass(snippet, pattern):
    assert not pattern.search(snippet)
