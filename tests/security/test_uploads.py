# ruff: noqa: F811  (a test naming an imported fixture is not a redefinition)
"""Uploads from the outside: every door that takes a file, tried with hostile files.

The doors: the photos of a constituent's opinion (public form), a deputy's evidence for
a points claim (their points page) and the photos of a project's works (the office's
admin page). What must hold at each:

- only real pictures get in: markup, SVG or PHP named ``.jpg``, a truncated picture, a
  decompression bomb, a flood of pixels, a file over the limit are refused next to the
  field with a Chinese message, and nothing is stored, neither row nor file;
- what gets in is encoded again: no EXIF (a phone's GPS position), no comment or text
  chunk, nothing appended after the picture survives, and the stored name is not the
  uploaded one;
- what is served is served as a picture: typed by the server, never sniffed, in a CSP
  sandbox; the evidence only through its permission-checked view.

``liaison.images`` itself is unit-tested in ``tests/votes/test_tracking.py``.
"""

import datetime as dt
import functools
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path, re_path, reverse
from django.utils import timezone
from PIL import ExifTags, Image, PngImagePlugin

from liaison import views
from stations.models import PointEntry
from suggestions import services
from suggestions.models import Photo, Suggestion
from tests.factories import make_cycle
from tests.security import inputs
from tests.security.input_world import (  # noqa: F401  (fixtures)
    congress,
    dora,
    roads,
    signed_in,
    station,
)
from votes.models import Phase, Project, ProjectPhoto

pytestmark = pytest.mark.django_db

# /media/ is routed only under DEBUG; the serving tests use this URLconf to reach it.
urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", views.media, name="media"),
    path("", include("liaison.urls")),
]

LIMIT = 60_000  # bytes: every door's limit in these tests


# --- Files ----------------------------------------------------------------------------------


def picture(fmt="JPEG", size=(40, 30), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 50)).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (27.0, 15.0, 0.0)
    return picture(exif=exif, comment=b"<?php system($_GET['c']); ?>")


def png_with_script_chunk() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    return picture("PNG", pnginfo=info)


def noise_png() -> bytes:
    import os

    buffer = io.BytesIO()
    Image.frombytes("L", (300, 300), os.urandom(300 * 300)).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, *, rows: bytes | None = None) -> bytes:
    """A 1-bit greyscale PNG: with ``rows`` (the compressed pixel data) a real picture,
    without it a header declaring a canvas and holding nothing."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = _chunk(b"IDAT", rows) if rows is not None else b""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + data + _chunk(b"IEND", b"")


@functools.cache
def decompression_bomb() -> bytes:
    """20,000 × 20,000 white pixels, 400 million, in about 50 KB: all zeros compress."""
    side = 20_000
    row = b"\x00" * (1 + side // 8)
    packer = zlib.compressobj(9)
    rows = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return png(side, side, rows=rows)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PHP = b"<?php system($_GET['c']); ?>"

REFUSED_FILES = {
    "html-named-jpg": ("photo.jpg", HTML, "image/jpeg"),
    "svg-named-jpg": ("photo.jpg", SVG, "image/jpeg"),
    "svg": ("drawing.svg", SVG, "image/svg+xml"),
    "php-named-jpg": ("shell.php.jpg", PHP, "image/jpeg"),
    "html-with-markup-name": ('"><img src=x onerror=alert(1)>.jpg', HTML, "image/jpeg"),
    "jpeg-header-then-html": ("photo.jpg", b"\xff\xd8\xff\xe0" + HTML, "image/jpeg"),
    "truncated-jpeg": ("photo.jpg", picture(size=(400, 300))[:600], "image/jpeg"),
    "pixel-flood": ("flood.png", png(65_535, 65_535), "image/png"),
    "decompression-bomb": ("bomb.png", None, "image/png"),
    "over-the-limit": ("big.png", None, "image/png"),
    "empty": ("photo.jpg", b"", "image/jpeg"),
}


def refused_file(name: str) -> SimpleUploadedFile:
    filename, content, content_type = REFUSED_FILES[name]
    if name == "decompression-bomb":
        content = decompression_bomb()
    elif name == "over-the-limit":
        content = noise_png()
        assert len(content) > LIMIT
    return SimpleUploadedFile(filename, content, content_type)


# --- Doors ----------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    settings.LIAISON_EVIDENCE_MAX_BYTES = LIMIT
    settings.LIAISON_SUBMIT_RATE = ""
    monkeypatch.setattr(services, "MAX_PHOTO_BYTES", LIMIT)
    return tmp_path


@pytest.fixture
def project(congress, dora):
    from stations.models import DeputyGroup

    cycle = make_cycle(congress, year=timezone.localdate().year, phase=Phase.IMPLEMENTING)
    candidate = cycle.candidates.get(number=1)
    group = DeputyGroup.objects.create(
        name="监督小组", region=congress.region, congress=congress, leader=dora
    )
    group.members.set([dora])
    return Project.objects.create(
        candidate=candidate, budget=candidate.investment, supervising_group=group
    )


@pytest.fixture
def door(request, media, client, station, roads, dora, deputy_user, county_clerk, project):
    """(post an upload, the form field, the model holding the upload)"""
    kind = request.param
    if kind == "public_photo":
        url = reverse("suggestions:submit_station", args=[station.code])
        data = {
            "category": "roads",
            "title": "村口道路坑洼",
            "content": "村口道路坑洼积水。",
            "phone": "13800138000",
            "consent": "on",
        }
        return lambda upload: client.post(url, data | {"photos": [upload]}), "photos", Photo
    if kind == "evidence":
        deputy_client = signed_in(deputy_user)
        url = reverse("stations:my_points")
        data = {
            "occurred_on": f"{timezone.localdate() - dt.timedelta(days=2):%Y-%m-%d}",
            "description": "参加农村公路视察",
        }
        return (
            lambda upload: deputy_client.post(url, data | {"evidence": upload}),
            "evidence",
            (PointEntry),
        )
    clerk = signed_in(county_clerk)
    url = reverse("admin:votes_project_photo", args=[project.pk])
    return lambda upload: clerk.post(url, {"image": upload, "caption": ""}), "image", ProjectPhoto


DOORS = ["public_photo", "evidence", "project_photo"]


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


@pytest.mark.parametrize("door", DOORS, indirect=True)
@pytest.mark.parametrize("file", list(REFUSED_FILES))
def test_what_is_not_a_real_picture_within_the_limits_is_refused_and_nothing_stored(
    door, file, media
):
    post, field, model = door
    response = post(refused_file(file))
    assert response.status_code in (200, 400)
    errors = response.context["form"].errors[field]
    assert all(inputs.has_chinese(message) for message in errors), errors
    page = response.content.decode()
    assert all(inputs.escaped(message) in page for message in errors)
    assert "<img src=x" not in page
    assert not model.objects.exists() and not Suggestion.objects.exists()
    assert not stored_files(media)


ACCEPTED_FILES = {
    "jpeg-with-gps-and-a-php-comment": ("IMG_0001.jpg", jpeg_with_gps),
    "jpeg-with-html-appended": ("IMG_0002.jpg", lambda: picture() + HTML + PHP),
    "png-with-a-script-text-chunk": ("Screenshot 张三.png", png_with_script_chunk),
}


@pytest.mark.parametrize("door", DOORS, indirect=True)
@pytest.mark.parametrize("file", list(ACCEPTED_FILES))
def test_a_real_picture_is_stored_encoded_again_without_metadata_or_payload(door, file, media):
    post, _field, model = door
    filename, make = ACCEPTED_FILES[file]
    content = make()
    response = post(SimpleUploadedFile(filename, content, "image/jpeg"))
    assert response.status_code == 302, response.context and response.context["form"].errors
    (stored,) = stored_files(media)
    assert model.objects.count() == 1
    data = stored.read_bytes()
    assert data != content
    assert stored.stem not in filename and "张三" not in str(stored) and "IMG" not in str(stored)
    for payload in (b"<script", b"<?php", b"<!DOCTYPE", b"PhoneMaker", b"Exif"):
        assert payload not in data
    with Image.open(stored) as image:
        assert image.format in ("JPEG", "PNG") and stored.suffix in (".jpg", ".png")
        assert not image.getexif() and "Comment" not in image.info


# --- Serving ----------------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["project_photo"], indirect=True)
@pytest.mark.urls("tests.security.test_uploads")
def test_stored_pictures_are_served_as_pictures_in_a_sandbox(door, media, client):
    post, _field, _model = door
    assert post(SimpleUploadedFile("a.jpg", picture(), "image/jpeg")).status_code == 302
    name = ProjectPhoto.objects.get().image.name
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.urls("tests.security.test_uploads")
@pytest.mark.parametrize(
    "path",
    [
        "notes.html",
        "drawing.svg",
        "shell.php",
        "photo.jpg.html",
        "points/2026/01/0123456789abcdef.pdf",
        "points/2026/01/0123456789abcdef.png",
        "suggestions/../points/2026/01/0123456789abcdef.png",
        "../../etc/passwd",
    ],
)
def test_media_serves_nothing_but_pictures_and_never_the_evidence_folder(media, client, path):
    target = media / path.replace("../", "").replace("suggestions/", "")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"<script>alert(1)</script>")
    assert client.get(f"/media/{path}").status_code == 404


def test_evidence_is_served_only_by_its_view_with_safe_headers(media, dora, deputy_user, client):
    deputy_client = signed_in(deputy_user)
    data = {
        "occurred_on": f"{timezone.localdate() - dt.timedelta(days=2):%Y-%m-%d}",
        "description": "参加农村公路视察",
    }
    for upload in (
        SimpleUploadedFile("photo.png", picture("PNG"), "image/png"),
        # A PDF is kept as sent: whatever follows its header is served in a sandbox.
        SimpleUploadedFile("report.pdf", b"%PDF-1.4\n" + HTML, "application/pdf"),
    ):
        response = deputy_client.post(reverse("stations:my_points"), data | {"evidence": upload})
        assert response.status_code == 302
    image, pdf = PointEntry.objects.order_by("pk")
    for entry, content_type in ((image, "image/png"), (pdf, "application/pdf")):
        url = reverse("stations:points_evidence", args=[entry.pk])
        response = deputy_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]
        assert f'filename="evidence-{entry.pk}' in response["Content-Disposition"]
        assert client.get(url).status_code == 302  # not signed in: to the sign-in page
