"""What every page of a journey must pass: axe-core (no serious or critical violation of
WCAG 2 A/AA), no horizontal scrolling on a phone, Chinese text drawn in a CJK font.

``look(page, shots, name)`` runs the three checks on the page as it is now, then saves
its screenshot under ``name``.
"""

from pathlib import Path

from tests.e2e.vendor import fetch_axe

# The fonts the site's CSS names for Chinese (static/css/site.css); Debian's
# fonts-noto-cjk provides the first.
CJK_FONTS = ("Noto Sans CJK", "Source Han Sans", "PingFang SC", "Microsoft YaHei")
BLOCKING = {"serious", "critical"}

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    resultTypes: ["violations"],
    // No fetching of the page's style sheets: axe re-reads them into <style> elements
    // (which the site's CSP refuses) and resolves their @imports against the page's
    // address. Only css-orientation-lock needs them, and no style sheet here uses
    // orientation media queries.
    preload: false,
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """The serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(fetch_axe()))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}\n      {node['summary']}".replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"


def assert_no_horizontal_scroll(page) -> None:
    """Nothing is wider than the phone. Measured against the viewport the page was
    opened with, not ``innerWidth``: a phone (and Chromium emulating one) zooms out to
    fit wide content, and ``innerWidth`` grows with it."""
    width = page.viewport_size["width"]
    found = page.evaluate(
        """(width) => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
          wide: [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                      + (e.classList.length ? "." + [...e.classList].join(".") : "")),
        })""",
        width,
    )
    assert found["client"] == width and found["scroll"] <= width, (
        f"{page.url} scrolls sideways on a {width} px phone: {found['scroll']} px wide, "
        f"sticking out: {found['wide']}"
    )


def rendered_fonts(page, selector: str) -> list[dict]:
    """The platform fonts Chromium used to draw the text of the first ``selector``
    (DevTools' CSS.getPlatformFontsForNode): what is on screen, not what CSS asks for."""
    session = page.context.new_cdp_session(page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"{page.url}: no {selector}"
        return session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        session.detach()


def assert_cjk_font(page, selector: str = "h1", *, site_stack: bool = True) -> None:
    """The element's Chinese characters are drawn in a CJK font, not a fallback box; on
    the site's own pages (not the admin's) the font stack names the CJK fonts first."""
    text = page.locator(selector).first.inner_text()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"{page.url}: {selector} {text!r}"
    fonts = rendered_fonts(page, selector)
    assert any(
        any(name in font["familyName"] for name in CJK_FONTS) and font["glyphCount"]
        for font in fonts
    ), f"{page.url}: {selector} drawn in {fonts}"
    if site_stack:
        stack = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert stack.startswith('"Noto Sans CJK SC"'), stack


def look(
    page, shots, name: str | None, *, phone: bool = True, cjk: str | None = "h1", **shot
) -> None:
    """Check the page as it is now: axe-core; on a phone, no sideways scrolling; the
    Chinese of ``cjk`` in a CJK font (and, on the site's own pages, the site's font
    stack; desktop pages are the admin's). Then save its screenshot as ``name``.png,
    unless ``name`` is None."""
    page.wait_for_load_state("load")
    assert_accessible(page)
    if phone:
        assert_no_horizontal_scroll(page)
    if cjk:
        assert_cjk_font(page, cjk, site_stack=phone)
    if name:
        shots(page, name, **shot)


def scroll_to(page, selector: str, block: str = "start") -> None:
    """Scroll so that the first ``selector`` is at the top (or ``block``) of the screen,
    for a screenshot of that part of a long page."""
    page.locator(selector).first.evaluate(
        "(element, block) => element.scrollIntoView({block: block})", block
    )


def screenshot(folder: Path, page, name: str, **options) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide", scale="css", **options)
    return path
