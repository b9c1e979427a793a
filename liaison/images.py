"""Cleaning an uploaded picture: the one place an untrusted image is opened.

Pictures come from the public (photos with an opinion), deputies (evidence of their
work) and the offices (photos of livelihood projects' works). Whatever the source:

1. a file over the byte limit is refused before it is read;
2. only the decoders of the allowed formats look at it (Pillow would otherwise try
   every plugin it has, with their bugs);
3. a header declaring too large a canvas is refused before a pixel is decoded: a few
   kilobytes of PNG can declare 12,000 × 12,000 pixels, half a gigabyte once decoded.
   Pillow's own decompression-bomb warning counts as a refusal too, since it is only
   an error above twice its limit;
4. the structure is checked, then every pixel decoded (a truncated or forged file
   fails here);
5. the picture is turned upright by its EXIF orientation and encoded again, which
   drops EXIF (a phone photo's GPS position), XMP, comments and whatever was appended
   after the image data.

The result has a fixed name: the uploaded name (a path, markup, a person's name) is
never stored.
"""

import io
import struct
import warnings
from collections.abc import Sequence
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP")
# A phone photo is 12–50 megapixels; decoding costs about 4 bytes a pixel.
MAX_PIXELS = 50_000_000
MAX_SIDE = 12_000

_LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
# What a kept format is written as, and its extension. A multi-picture JPEG (MPO, some
# phones) keeps its first picture; a GIF keeps its first frame, as a PNG.
_OUTPUT = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_SAVE_OPTIONS = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {},
    "WEBP": {"quality": 85},
}
# What Pillow's decoders raise on a malformed file: a bad upload is the sender's
# error (a clear message), never a server error.
_DECODE_ERRORS = (
    OSError,  # includes UnidentifiedImageError and truncated data
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
)


def image_clean(
    upload,
    *,
    max_bytes: int,
    stem: str = "photo",
    formats: Sequence[str] = DEFAULT_FORMATS,
    keep_format: bool = False,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> ContentFile:
    """Check an uploaded picture and return it re-encoded, as ``<stem>.<ext>``.

    JPEG unless ``keep_format`` (then a PNG stays a PNG: a screenshot of a document
    stays sharp). Raises a translated ValidationError with the code ``image_size``,
    ``image_pixels`` or ``image_format``; nothing is written anywhere.
    """
    name = _shown_name(upload)
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _too_large(name, max_bytes)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)  # never more than the limit, whatever size said
    if len(data) > max_bytes:
        raise _too_large(name, max_bytes)
    formats = tuple(format.upper() for format in formats)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                width, height = probe.size  # from the header: nothing decoded yet
                if width * height > max_pixels or max(width, height) > max_side:
                    raise _too_many_pixels(name)
                probe.verify()  # the structure, still without decoding pixels
            with Image.open(io.BytesIO(data), formats=formats) as image:
                output = _OUTPUT.get(image.format, "JPEG") if keep_format else "JPEG"
                image.load()  # every pixel: a truncated or forged file fails here
                cleaned = _for_output(ImageOps.exif_transpose(image), output)
                buffer = io.BytesIO()
                cleaned.save(buffer, format=output, **_SAVE_OPTIONS[output])
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except _DECODE_ERRORS:
        raise ValidationError(
            _("%(name)s is not an image we can read (%(formats)s).")
            % {"name": name, "formats": ", ".join(_LABELS.get(f, f) for f in formats)},
            code="image_format",
        ) from None
    return ContentFile(buffer.getvalue(), name=f"{stem}.{_EXTENSIONS[output]}")


def _shown_name(upload) -> str:
    # Only the last part of the name, shortened: it is echoed back in the message.
    name = PurePath(str(getattr(upload, "name", "") or "")).name[:60]
    return name or _("The file")


def _too_large(name: str, max_bytes: int) -> ValidationError:
    return ValidationError(
        _("%(name)s is larger than %(limit)s.")
        % {"name": name, "limit": filesizeformat(max_bytes)},
        code="image_size",
    )


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        _("%(name)s has too many pixels; send a smaller picture.") % {"name": name},
        code="image_pixels",
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    )


def _for_output(image: Image.Image, output: str) -> Image.Image:
    """The picture in a mode ``output`` can hold, with no metadata left on it."""
    if output == "JPEG":
        if _has_alpha(image):
            # JPEG has no transparency: lay the picture on white rather than on the
            # black that dropping the alpha channel would show.
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
    elif output == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    # Savers read EXIF, XMP, comments and ICC profiles from ``info``; none of it is
    # kept (the orientation is already applied to the pixels).
    image.info = {}
    return image
