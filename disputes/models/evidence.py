"""Uploaded evidence files: generated storage names and the columns every evidence file carries."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.evidence import stored_extension

SHA256_HELP = _("Hash of the file's content, taken on upload: the same file sent again has the same hash.")


def evidence_upload_to(instance: Any, filename: str) -> str:
    """evidence/<year>/<month>/<uuid>.<extension of the detected content type>: neither the uploader's name nor
    its extension reaches the file system (a JPEG sent as shell.php is stored as .jpg). Services set the checked
    `content_type` on the instance before the file is saved; without one this raises rather than guess."""
    extension = stored_extension(instance.content_type)
    today = timezone.now()
    return f"evidence/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class EvidenceFile(models.Model):
    """A file checked by content and size on upload (disputes.evidence), stored under a generated name."""

    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=80)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False, help_text=SHA256_HELP)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name
