"""Checks an uploaded evidence file by its content (not its name) and its size before it is stored, and takes its
SHA-256 (which the evidence models keep: the same file sent twice has the same hash)."""

import hashlib
import io
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image

from disputes.errors import ValidationFailed

ALLOWED_TYPES = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/webp": "image",
    "image/gif": "image",
    "application/pdf": "pdf",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/webm": "video",
}


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    original_name: str
    sha256: str


def file_sha256(upload: UploadedFile) -> str:
    """The SHA-256 of the file's whole content (hex), read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_evidence_file(upload: UploadedFile) -> CheckedFile:
    """Refuse files that are too large, not an image, video or PDF by content, or decompression bombs."""
    max_bytes = settings.EVIDENCE_MAX_BYTES
    size = upload.size or 0
    name = (upload.name or "upload")[:200]
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
    if ALLOWED_TYPES[mime] == "image":
        _check_image(upload, name)
    return CheckedFile(content_type=mime, size=size, original_name=name, sha256=file_sha256(upload))


def _check_image(upload: UploadedFile, name: str) -> None:
    max_pixels = settings.EVIDENCE_MAX_IMAGE_PIXELS
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
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
