"""QR codes (码上找代表) and the printable A4 station poster."""

import io

import segno
from django.conf import settings
from django.http import HttpRequest


def absolute_url(request: HttpRequest, path: str) -> str:
    """The URL a printed code must carry: SITE_URL if set, else this request's origin."""
    if settings.SITE_URL:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


def make_qr(url: str) -> segno.QRCode:
    # Level M survives a scuffed or partly covered poster and keeps the code small.
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    make_qr(url).save(buffer, kind="svg", scale=scale, border=4, xmldecl=True)
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    make_qr(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_path(url: str) -> tuple[str, int]:
    """An SVG path of the dark modules (one unit a module) and the symbol's width.

    The poster template places it with a transform, so the code prints crisply at any size.
    """
    qr = make_qr(url)
    parts = []
    for y, row in enumerate(qr.matrix):
        x = 0
        while x < len(row):
            if row[x]:
                run = x
                while run < len(row) and row[run]:
                    run += 1
                parts.append(f"M{x} {y}h{run - x}v1h-{run - x}z")
                x = run
            else:
                x += 1
    return "".join(parts), len(qr.matrix)
