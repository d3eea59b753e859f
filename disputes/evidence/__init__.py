"""Evidence uploads: the content check every stored file passes, and the names it is stored and shown under."""

from disputes.evidence.checks import CheckedFile, check_evidence_file
from disputes.evidence.names import (
    ALLOWED_TYPES,
    EXTENSIONS,
    clean_original_name,
    download_name,
    stored_extension,
)

__all__ = [
    "ALLOWED_TYPES",
    "EXTENSIONS",
    "CheckedFile",
    "check_evidence_file",
    "clean_original_name",
    "download_name",
    "stored_extension",
]
