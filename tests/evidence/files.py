"""Evidence files built in the test, byte by byte: clean images, videos and PDFs, and the polyglots, trailing
bytes and active content the upload check refuses. Holds no tests of its own."""

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def upload(data: bytes, name: str, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    """The client's declared content type is deliberately whatever the test says: the check never reads it."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def image(fmt: str, size=(16, 12), colour=(30, 120, 200), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def jpeg(size=(16, 12), **options) -> bytes:
    return image("JPEG", size, **options)


def png() -> bytes:
    return image("PNG")


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("payload/run.sh", "#!/bin/sh\necho owned\n")
    return buffer.getvalue()


def jpeg_with_exif_thumbnail() -> bytes:
    """A JPEG whose APP1 (Exif) segment holds a JPEG thumbnail in IFD1, as cameras write it: the thumbnail's own
    end marker (FF D9) sits in the middle of the file."""
    thumbnail = jpeg((8, 6))
    tiff = b"II*\x00" + struct.pack("<I", 8)
    ifd0 = struct.pack("<HI", 0, 14)  # no entries; IFD1 follows at offset 14
    thumbnail_at = 14 + 2 + 2 * 12 + 4
    ifd1 = struct.pack("<H", 2)
    ifd1 += struct.pack("<HHII", 0x0201, 4, 1, thumbnail_at)  # JPEGInterchangeFormat
    ifd1 += struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))  # JPEGInterchangeFormatLength
    ifd1 += struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff + ifd0 + ifd1 + thumbnail
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    main = jpeg((64, 48))
    return main[:2] + app1 + main[2:]


def jpeg_with_comment(comment: bytes) -> bytes:
    """A JPEG with a COM segment right after SOI: bytes inside the image's own structure."""
    main = jpeg()
    return main[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + main[2:]


def mp4(body: bytes = b"\x11" * 4096) -> bytes:
    """An ISO media file as filetype detects it: an ftyp box, then an mdat box holding `body`."""
    ftyp = struct.pack(">I", 24) + b"ftypmp42" + b"\x00\x00\x00\x00" + b"mp42isom"
    return ftyp + struct.pack(">I", 8 + len(body)) + b"mdat" + body


# --- PDF ------------------------------------------------------------------------------------------------------


def pdf(*objects: bytes) -> bytes:
    """A PDF whose objects 1, 2, ... are `objects` (object 1 should be the catalog), with its xref and trailer."""
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def flate_stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return stream(zlib.compress(data), b"/Filter /FlateDecode " + dictionary)


def object_stream(first_number: int, *objects: bytes, dictionary: bytes = b"/Filter /FlateDecode") -> bytes:
    """An object stream (PDF 1.5) holding `objects` as numbers first_number, first_number + 1, ..."""
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (first_number + i, at) for i, at in enumerate(offsets)) + b"\n"
    content = header + body
    data = zlib.compress(content) if b"FlateDecode" in dictionary else content
    return stream(data, b"/Type /ObjStm /N %d /First %d " % (len(objects), len(header)) + dictionary)


def clean_pdf() -> bytes:
    """One page of text, its content stream compressed; what a printer driver writes."""
    return pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        flate_stream(b"BT /F1 12 Tf 72 770 Td (Waybill SF100200300) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )


def pdf_with_catalog(catalog: bytes, *more: bytes) -> bytes:
    """A one-page PDF whose catalog carries `catalog` (e.g. an /OpenAction), with further objects from 4 on."""
    return pdf(
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *more,
    )


def pdf_with_script(javascript: bytes = b"/JavaScript", js: bytes = b"/JS") -> bytes:
    """A PDF with a document-level script (run when opened), its names spelled as given (e.g. b"/J#61vaScript"
    and b"/#4AS"): nothing else in it is active."""
    return pdf_with_catalog(
        b"/Names << " + javascript + b" 4 0 R >>",
        b"<< /Names [(init) 5 0 R] >>",
        b"<< /S " + javascript + b" " + js + b" (app.alert(1)) >>",
    )
