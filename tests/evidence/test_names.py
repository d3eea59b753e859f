"""Names: a stored file is named by a UUID and the extension of its detected content type, for every evidence
model; the uploader's name is kept only cleaned (no directories, control or bidi characters, bounded length)."""

import re

import pytest

from disputes.evidence import check_evidence_file, clean_original_name, download_name
from disputes.models import EvidenceItem, ForceMajeureEvidence, RefundEvidence
from disputes.models.evidence import evidence_upload_to
from disputes.models.help_requests import evidence_upload_to as reexported
from tests.evidence.files import jpeg, upload


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("crack.jpg", "crack.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\li\\Desktop\\发票.pdf", "发票.pdf"),
        ("/var/www/shell.php", "shell.php"),
        ("a\x00b\nc\r\td.png", "abcd.png"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # U+202E would show it as invoiceexe.jpg
        ("zero\u200bwidth\ufeff.png", "zerowidth.png"),
        ("line\u2028break.png", "linebreak.png"),
        ("  many   spaces\u3000here.png ", "many spaces here.png"),
        ('quote"d.png', 'quote"d.png'),  # kept: only ever shown escaped
        ("dir/", ""),
        ("..", ""),
        ("\u202e\x00\n", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_the_original_name_is_cleaned(given, kept):
    assert clean_original_name(given) == kept


def test_a_long_name_is_cut_keeping_its_extension():
    cleaned = clean_original_name("x" * 300 + ".jpeg")
    assert len(cleaned) == 100
    assert cleaned == "x" * 95 + ".jpeg"


def test_a_name_with_nothing_left_falls_back_to_upload_with_the_detected_extension():
    checked = check_evidence_file(upload(jpeg(), "\u202e\x00/\n"))
    assert checked.original_name == "upload.jpg"
    checked = check_evidence_file(upload(jpeg(), "../../x\u202e\r\n.php"))
    assert checked.original_name == "x.php"


@pytest.mark.parametrize(
    ("original", "content_type", "downloaded"),
    [
        ("shell.php", "image/jpeg", "shell.php.jpg"),
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("crack.png", "image/png", "crack.png"),
        ("report", "application/pdf", "report.pdf"),
        ("clip.mov", "video/quicktime", "clip.mov"),
        ('a"b\r\nc.pdf', "application/pdf", 'a"bc.pdf'),
        ("", "image/gif", "upload.gif"),
    ],
)
def test_a_download_is_named_with_the_extension_of_its_content(original, content_type, downloaded):
    assert download_name(original, content_type) == downloaded


UPLOAD_NAME = re.compile(r"^evidence/\d{4}/\d{2}/[0-9a-f]{32}\.(\w+)$")


@pytest.mark.parametrize("model", [ForceMajeureEvidence, RefundEvidence, EvidenceItem])
@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/jpeg", "jpg"),
        ("image/png", "png"),
        ("image/webp", "webp"),
        ("image/gif", "gif"),
        ("application/pdf", "pdf"),
        ("video/mp4", "mp4"),
        ("video/quicktime", "mov"),
        ("video/webm", "webm"),
    ],
)
def test_every_evidence_model_stores_under_the_extension_of_the_detected_type(model, content_type, extension):
    name = model._meta.get_field("file").generate_filename(model(content_type=content_type), "shell.php")
    match = UPLOAD_NAME.match(name)
    assert match is not None, name
    assert match[1] == extension


def test_a_file_without_a_checked_content_type_is_not_stored_under_a_guessed_name():
    with pytest.raises(ValueError, match="No stored extension"):
        evidence_upload_to(EvidenceItem(content_type=""), "photo.jpg")


def test_migrations_still_find_the_upload_function_where_they_name_it():
    assert reexported is evidence_upload_to
