"""The accepted content types with their stored extensions, and the uploader's file name made safe to keep as
metadata: the stored name never comes from the client."""

import re
import unicodedata
from pathlib import PurePosixPath

# Content type (detected from the bytes) -> (kind, extension of the stored file). One table, so a type cannot be
# accepted without an extension to store it under.
TYPES = {
    "image/jpeg": ("image", "jpg"),
    "image/png": ("image", "png"),
    "image/webp": ("image", "webp"),
    "image/gif": ("image", "gif"),
    "application/pdf": ("pdf", "pdf"),
    "video/mp4": ("video", "mp4"),
    "video/quicktime": ("video", "mov"),
    "video/webm": ("video", "webm"),
}
ALLOWED_TYPES = {mime: kind for mime, (kind, _ext) in TYPES.items()}
EXTENSIONS = {mime: ext for mime, (_kind, ext) in TYPES.items()}
# Other spellings a download may keep (a JPEG named photo.jpeg stays photo.jpeg).
_SAME_TYPE_SUFFIXES = {"image/jpeg": {"jpeg", "jpe"}, "video/quicktime": {"qt"}, "video/mp4": {"m4v"}}

MAX_NAME = 100  # characters of the original name kept; the model's column holds 200
# Control and format characters (NUL, newlines, U+202E right-to-left override, zero-width marks), surrogates,
# private use, and line or paragraph separators: none belongs in a name shown to staff.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def clean_original_name(name: str | None) -> str:
    """The uploader's file name without directories (either slash), invisible or control characters, at most
    MAX_NAME characters (the extension kept); "" when nothing is left. Only ever displayed, escaped."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    kept = "".join(
        " " if unicodedata.category(ch) == "Zs" else ch
        for ch in base
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    kept = " ".join(kept.split())
    if not kept.strip("."):
        return ""
    if len(kept) > MAX_NAME:
        suffix = PurePosixPath(kept).suffix[:16]
        kept = kept[: MAX_NAME - len(suffix)] + suffix
    return kept


def stored_extension(content_type: str) -> str:
    """The extension a stored file gets: from the detected content type only."""
    try:
        return EXTENSIONS[content_type]
    except KeyError:
        # Every service sets the checked content type before saving the file; a file without one is a bug,
        # not something to store under a guessed name.
        raise ValueError(f"No stored extension for content type {content_type!r}.") from None


def download_name(original_name: str, content_type: str) -> str:
    """The name a staff download is saved under: the cleaned original name, with the extension of the content
    added when the uploader's extension says otherwise (a JPEG named shell.php downloads as shell.php.jpg)."""
    ext = EXTENSIONS.get(content_type, "bin")
    name = clean_original_name(original_name) or f"upload.{ext}"
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    if suffix == ext or suffix in _SAME_TYPE_SUFFIXES.get(content_type, ()):
        return name
    return f"{name}.{ext}"
