"""Project hygiene that CI must keep: migrations, deploy checks, translations."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_are_committed(db):
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_check_deploy_is_clean_under_production_settings():
    env = os.environ | {
        "DEBUG": "0",
        "SECRET_KEY": "x7#kq!2v9@mzp4$w8rt6&yb1^hn3e5*uj0c-ls_fgda+oi=QpLr8vTz",
        "ALLOWED_HOSTS": "lls.example.gov.cn",
        # Constituents' personal data has keys of its own in production (liaison/crypto.py).
        "LIAISON_FIELD_KEYS": "Qn8xP0cJ1r3mB6yTz2VwK9sLd4HfGj7aEoU5iYcXqRk=",
        "LIAISON_HMAC_KEY": "f3W9-kq2Lz7Xv1Rb8Tn4Mp6Yc0Hd5Js2",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_default_to_chinese_in_shanghai():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert "en" in dict(settings.LANGUAGES)


def _entries(po_text: str):
    for block in po_text.split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? "(.*)"$', block, re.M)
        if msgid and msgid.group(1) and "#~" not in block:
            # A fuzzy entry is not used by gettext: it counts as untranslated.
            fuzzy = re.search(r"^#,.*\bfuzzy\b", block, re.M)
            yield msgid.group(1), "" if fuzzy or not msgstr else msgstr.group(1)


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs gettext (CI installs it)")
def test_every_user_facing_string_has_a_chinese_translation(tmp_path):
    """Extract the strings afresh, in a copy of the tree; each must be translated."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "*.pyc", "tests")
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            "zh_Hans",
            "--extension",
            "html,txt,py,svg",
            "--ignore",
            "var/*",
            "--no-wrap",
            "--no-obsolete",
            "--verbosity",
            "0",
        ],
        cwd=copy,
        check=True,
        timeout=120,
        env=os.environ | {"LIAISON_VAR_DIR": str(tmp_path)},
    )
    fresh = (copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    untranslated = [msgid for msgid, msgstr in _entries(fresh) if not msgstr]
    assert untranslated == []


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs gettext (CI installs it)")
def test_compiled_catalogue_matches_the_po_file(tmp_path):
    po = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(po)], check=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes()


def test_the_production_entry_point_refuses_the_development_key():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    result = subprocess.run(
        [sys.executable, "-c", "import liaison.wsgi"],
        env=env | {"DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    result = subprocess.run(
        [sys.executable, "-c", "import liaison.wsgi"],
        env=env | {"DEBUG": "0", "SECRET_KEY": "x" * 60},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
