"""The checks bite: each one fails on a page made to break it (no server needed)."""

import pytest

from tests.e2e import checks

pytestmark = [pytest.mark.slow]

PAGE = """<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>测试</title></head>
<body style='font-family: {font}'><h1>人大代表联络站</h1>{extra}</body></html>"""


@pytest.fixture
def blank(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    yield context.new_page()
    context.close()


def test_a_clean_page_passes_every_check(blank):
    blank.set_content(PAGE.format(font='"Noto Sans CJK SC", sans-serif', extra=""))
    checks.assert_accessible(blank)
    checks.assert_no_horizontal_scroll(blank)
    checks.assert_cjk_font(blank)


def test_axe_reports_an_unlabelled_field_and_an_image_without_text(blank):
    blank.set_content(PAGE.format(font="sans-serif", extra='<input type="text"><img src="data:,">'))
    found = {v["id"] for v in checks.axe_violations(blank)}
    assert {"label", "image-alt"} <= found
    with pytest.raises(AssertionError, match="label"):
        checks.assert_accessible(blank)


def test_a_page_wider_than_the_phone_is_refused(blank):
    blank.set_content(PAGE.format(font="sans-serif", extra="<pre>" + "x" * 120 + "</pre>"))
    with pytest.raises(AssertionError, match="scrolls sideways"):
        checks.assert_no_horizontal_scroll(blank)


def test_chinese_in_a_latin_only_font_stack_is_refused(blank):
    # A stack naming no CJK font: the page asks for the wrong thing.
    blank.set_content(PAGE.format(font='"DejaVu Sans", monospace', extra=""))
    with pytest.raises(AssertionError):
        checks.assert_cjk_font(blank)
