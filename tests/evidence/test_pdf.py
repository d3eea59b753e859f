"""PDF evidence: active content (scripts, launch and submit actions, embedded files, rich media, XFA) is refused
in any #xx spelling, inside compressed object streams too; an object stream that cannot be read is refused."""

import os
import zlib

import pytest

from disputes.errors import ValidationFailed
from disputes.evidence import check_evidence_file
from disputes.evidence.pdf import PdfUnreadable, active_content
from tests.evidence.files import (
    clean_pdf,
    flate_stream,
    object_stream,
    pdf,
    pdf_with_catalog,
    pdf_with_script,
    stream,
    upload,
)


def refused(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check_evidence_file(upload(data, "invoice.pdf"))
    return caught.value


def test_a_plain_pdf_is_accepted():
    checked = check_evidence_file(upload(clean_pdf(), "waybill.pdf"))
    assert (checked.content_type, checked.original_name) == ("application/pdf", "waybill.pdf")
    assert active_content(clean_pdf()) is None


def test_a_pdf_with_javascript_is_refused():
    error = refused(pdf_with_script())
    assert error.code == "evidence_pdf_active_content"
    assert error.message.startswith("invoice.pdf: the PDF contains active content (/JavaScript)")


def test_hex_escaped_names_are_read_as_the_reader_reads_them():
    # /J#61vaScript is /JavaScript and /#4AS is /JS to a PDF reader; nothing else in this file is active.
    data = pdf_with_script(javascript=b"/J#61vaScript", js=b"/#4AS")
    assert b"/JavaScript" not in data and b"/JS" not in data
    assert active_content(data) == "/JavaScript"
    assert refused(data).code == "evidence_pdf_active_content"


@pytest.mark.parametrize(
    ("catalog", "objects", "name"),
    [
        (b"/OpenAction 4 0 R", [b"<< /S /Launch /F (cmd.exe) >>"], "/Launch"),
        (b"/Names << /EmbeddedFiles 4 0 R >>", [b"<< /Names [(a.exe) 5 0 R] >>"], "/EmbeddedFiles"),
        (b"/AcroForm << /XFA 4 0 R >>", [stream(b"<xdp:xdp/>")], "/XFA"),
        (b"/OpenAction << /S /SubmitForm /F (http://evil.example) >>", [], "/SubmitForm"),
        (b"/OpenAction << /S /GoToR /F (other.pdf) /D [0 /Fit] >>", [], "/GoToR"),
        (b"/OpenAction << /S /ImportData /F (data.fdf) >>", [], "/ImportData"),
        (b"/OpenAction << /S /URI /URI (http://tracker.example) >>", [], "/OpenAction"),
        (b"/AA << /WC 4 0 R >>", [b"<< /S /Named /N /Print >>"], "/AA"),
        (b"", [b"<< /Type /Annot /Subtype /RichMedia >>"], "/RichMedia"),
        (b"", [b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>"], "/EF"),
    ],
)
def test_active_content_is_refused(catalog, objects, name):
    data = pdf_with_catalog(catalog, *objects)
    assert active_content(data) == name
    assert refused(data).code == "evidence_pdf_active_content"


def test_an_open_action_that_only_opens_a_page_is_accepted():
    # What LaTeX's hyperref and others write: a destination array, not an action.
    data = pdf_with_catalog(b"/OpenAction [3 0 R /Fit]")
    assert check_evidence_file(upload(data, "report.pdf")).content_type == "application/pdf"


def test_a_script_hidden_in_a_compressed_object_stream_is_found():
    hidden = object_stream(4, b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>")
    data = pdf_with_catalog(b"", hidden)
    assert b"JavaScript" not in data and b"/JS" not in data  # neither name is visible uncompressed
    assert active_content(data) == "/JavaScript"
    only_inside = pdf_with_catalog(b"", object_stream(4, b"<< /AA << /O 5 0 R >> >>"))
    assert active_content(only_inside) == "/AA"
    assert refused(only_inside).code == "evidence_pdf_active_content"


def test_an_object_stream_with_a_hex_escaped_type_is_still_inflated():
    hidden = object_stream(4, b"<< /JS (app.alert(1)) >>").replace(b"/ObjStm", b"/Obj#53tm")
    assert active_content(pdf_with_catalog(b"", hidden)) == "/JS"


@pytest.mark.parametrize(
    ("hidden", "reason"),
    [
        (object_stream(4, b"<< >>", dictionary=b"/Filter /ASCIIHexDecode"), "an encoding this check does not read"),
        (
            object_stream(4, b"<< >>", dictionary=b"/Filter /FlateDecode /DecodeParms << /Predictor 12 >>"),
            "an encoding this check does not read",
        ),
        (stream(b"not deflate data", b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"), "does not inflate"),
        (
            stream(zlib.compress(b"4 0 << /JS (x) >>" * 50)[:-8], b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"),
            "cut short",
        ),
    ],
)
def test_an_object_stream_that_cannot_be_read_is_refused(hidden, reason):
    data = pdf_with_catalog(b"", hidden)
    with pytest.raises(PdfUnreadable, match=reason):
        active_content(data)
    assert refused(data).code == "evidence_pdf_unreadable"


def test_object_streams_inflating_past_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr("disputes.evidence.pdf.MAX_INFLATED", 1000)
    data = pdf_with_catalog(b"", object_stream(4, b"<< /Padding (" + b"x" * 5000 + b") >>"))
    with pytest.raises(PdfUnreadable, match="more than this check reads"):
        active_content(data)


def test_an_object_stream_name_outside_any_stream_dictionary_is_refused():
    # /ObjStm where this check saw stream data: a fake "stream" keyword in a string hides the real dictionary.
    data = pdf_with_catalog(b"/Title (stream\n)", stream(b"4 0 << >>", b"/Type /ObjStm /N 1 /First 4"))
    with pytest.raises(PdfUnreadable, match="could not be told apart"):
        active_content(data)


def test_two_letter_names_in_compressed_data_are_not_a_false_alarm():
    # Image bytes that happen to contain "/JS " and "/AA(": data, not names, and never refused.
    noise = os.urandom(2000) + b"/JS " + os.urandom(100) + b"/AA(" + os.urandom(100)
    data = pdf_with_catalog(b"", stream(noise, b"/Subtype /Image /Filter /DCTDecode"), flate_stream(noise))
    assert active_content(data) is None
    # Outside stream data the same names count.
    assert active_content(pdf(b"<< /Type /Catalog /AA << >> >>")) == "/AA"
