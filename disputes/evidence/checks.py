"""Checks an uploaded evidence file by its content (not its name) and its size before it is stored: one image,
video or PDF, with nothing riding along and no active content."""

import hashlib
import io
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image

from disputes.errors import ValidationFailed
from disputes.evidence.containers import embedded_file, has_markup_head, has_trailing_data, image_end
from disputes.evidence.names import ALLOWED_TYPES, EXTENSIONS, clean_original_name
from disputes.evidence.pdf import PdfUnreadable, active_content

CHUNK = 1024 * 1024  # bytes read at a time when scanning a video


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    original_name: str
    sha256: str


def file_sha256(upload: UploadedFile) -> str:
    """The SHA-256 of the file's whole content (hex), read in chunks; the file is left at its start. The evidence
    models keep it: the same file sent twice has the same hash (an appeal must not resend one on file)."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_evidence_file(upload: UploadedFile) -> CheckedFile:
    """Refuse files that are too large, not an image, video or PDF by content, decompression bombs, polyglots
    (an archive, a PDF, markup or trailing bytes carried along) and PDFs with active content.

    Images and PDFs are read into memory once (at most EVIDENCE_MAX_BYTES); videos are scanned in chunks.
    The original name comes back cleaned (disputes.evidence.names), to be kept as metadata only.
    """
    max_bytes = settings.EVIDENCE_MAX_BYTES
    size = upload.size or 0
    original = clean_original_name(upload.name)
    name = original or "upload"
    if size == 0:
        raise ValidationFailed(f"{name}: the file is empty.", code="evidence_empty")
    if size > max_bytes:
        raise ValidationFailed(
            f"{name}: {size} bytes is over the limit of {max_bytes} bytes.", code="evidence_too_large"
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else None
    if mime is None and head.startswith(b"%PDF-"):
        mime = "application/pdf"
    if mime not in ALLOWED_TYPES:
        raise ValidationFailed(
            f"{name}: only images (JPEG, PNG, WebP, GIF), videos (MP4, MOV, WebM) and PDF are accepted; "
            f"the content is {mime or 'not a recognised type'}.",
            code="evidence_type_refused",
        )
    if has_markup_head(head):
        raise _polyglot(name, "HTML or script")
    if ALLOWED_TYPES[mime] == "video":
        hidden = embedded_file(upload.chunks(CHUNK))
        upload.seek(0)
        if hidden:
            raise _polyglot(name, f"a {hidden} file")
    else:
        data = upload.read(max_bytes + 1)
        upload.seek(0)
        if hidden := embedded_file([data], pdf=mime == "application/pdf"):
            raise _polyglot(name, f"a {hidden} file")
        if ALLOWED_TYPES[mime] == "image":
            _check_image(data, mime, name)
        else:
            _check_pdf(data, name)
    return CheckedFile(
        content_type=mime,
        size=size,
        original_name=original or f"upload.{EXTENSIONS[mime]}",
        sha256=file_sha256(upload),
    )


def _polyglot(name: str, what: str) -> ValidationFailed:
    return ValidationFailed(
        f"{name}: the file also carries {what}; send each image, video or PDF on its own.", code="evidence_polyglot"
    )


def _check_image(data: bytes, mime: str, name: str) -> None:
    max_pixels = settings.EVIDENCE_MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationFailed(
                    f"{name}: {width}×{height} pixels is over the limit of {max_pixels} pixels.",
                    code="evidence_image_too_large",
                )
            image.verify()
    except ValidationFailed:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses to open an image far over its own pixel limit before we can read its size:
        # that is the same refusal as ours, not a broken file.
        raise ValidationFailed(
            f"{name}: the image declares more than the limit of {max_pixels} pixels.",
            code="evidence_image_too_large",
        ) from None
    except Exception as exc:  # Pillow raises many types for broken or hostile files
        raise ValidationFailed(f"{name}: the image cannot be read ({exc}).", code="evidence_image_invalid") from None
    end = image_end(data, mime)
    if end is None:
        raise ValidationFailed(f"{name}: the image is cut short or malformed.", code="evidence_image_invalid")
    if has_trailing_data(data, end):
        raise _polyglot(name, f"{len(data) - end} bytes after the end of the image")


def _check_pdf(data: bytes, name: str) -> None:
    try:
        found = active_content(data)
    except PdfUnreadable as exc:
        raise ValidationFailed(
            f"{name}: the PDF cannot be checked for active content ({exc}).", code="evidence_pdf_unreadable"
        ) from None
    if found:
        raise ValidationFailed(
            f"{name}: the PDF contains active content ({found}): scripts, actions, embedded files or forms "
            "that run are refused; print it to a plain PDF or send an image.",
            code="evidence_pdf_active_content",
        )
