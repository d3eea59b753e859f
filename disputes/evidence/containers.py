"""Finds a second file riding along in an upload (a polyglot): an archive or PDF hidden anywhere in it, markup at
its head, or bytes after the end of an image's own structure."""

import re
import struct
from collections.abc import Callable, Iterable

# ZIP compression methods a reader can extract (APPNOTE 4.4.5): a random "PK\3\4" in compressed video or image
# data almost never names one of these, a real archive always does.
_ZIP_METHODS = frozenset({0, 1, 6, 8, 9, 12, 14, 18, 19, 93, 94, 95, 96, 97, 98, 99})


def _zip_entry(method_at: int, name_length_at: int) -> Callable[[bytes, int], bool]:
    def plausible(header: bytes, offset: int) -> bool:
        if len(header) < name_length_at + 2:
            return False
        (method,) = struct.unpack_from("<H", header, method_at)
        (name_length,) = struct.unpack_from("<H", header, name_length_at)
        return method in _ZIP_METHODS and 0 < name_length <= 4096

    return plausible


def _zip_end(header: bytes, offset: int) -> bool:
    # End of central directory: its directory lies before it, and this disk holds no more entries than the total.
    if len(header) < 22:
        return False
    _sig, _disk, _dir_disk, on_disk, total, dir_size, dir_offset, _comment = struct.unpack_from("<4sHHHHIIH", header)
    return on_disk <= total and dir_offset + dir_size <= offset


def _pdf_header(header: bytes, offset: int) -> bool:
    return header[5:6] in (b"1", b"2") and header[6:7] == b"."


def _always(header: bytes, offset: int) -> bool:
    return True


# A 4-byte signature turns up by chance about once per 4 GB of random bytes per signature: in a 20 MB video that
# is a ~1% false alarm for three of them. So ZIP records must also hold plausible fields; the 6-byte RAR and 7z
# signatures are rare enough alone.
_SIGNATURES: tuple[tuple[bytes, str, Callable[[bytes, int], bool]], ...] = (
    (b"PK\x03\x04", "ZIP", _zip_entry(method_at=8, name_length_at=26)),
    (b"PK\x01\x02", "ZIP", _zip_entry(method_at=10, name_length_at=28)),
    (b"PK\x05\x06", "ZIP", _zip_end),
    (b"Rar!\x1a\x07", "RAR", _always),
    (b"7z\xbc\xaf\x27\x1c", "7z", _always),
    (b"%PDF-", "PDF", _pdf_header),
)
_KEEP = 64  # bytes carried from one chunk to the next: longer than any signature plus the fields it checks


def embedded_file(chunks: Iterable[bytes], *, pdf: bool = False) -> str | None:
    """The kind of archive (or PDF, unless the file is one) found anywhere in the file, else None.

    Reads the chunks once, keeping only one chunk and a few bytes of the previous one in memory.
    """
    signatures = [s for s in _SIGNATURES if not (pdf and s[1] == "PDF")]
    window, start = b"", 0  # start: the file offset of window[0]
    pending = iter(chunks)
    while True:
        chunk = next(pending, None)
        window += chunk or b""
        last = chunk is None
        # Signatures starting before `limit` are checked now, with at least _KEEP bytes after them in the window.
        limit = len(window) if last else max(len(window) - _KEEP, 0)
        for signature, kind, plausible in signatures:
            at = window.find(signature, 0, limit + len(signature) - 1)
            while at != -1:
                if plausible(window[at : at + _KEEP], start + at):
                    return kind
                at = window.find(signature, at + 1, limit + len(signature) - 1)
        if last:
            return None
        window, start = window[limit:], start + limit


_MARKUP = (b"<script", b"<html", b"<svg", b"<!doctype html", b"<body", b"<iframe", b"<?php")


def has_markup_head(head: bytes) -> bool:
    """HTML, SVG or script in the first KB: what a browser or a server would run if it ever sniffed the file."""
    start = head[:1024].lower()
    return any(tag in start for tag in _MARKUP)


# --- where an image's own structure ends ----------------------------------------------------------------------

# In JPEG entropy-coded data 0xFF is followed by 0x00 (stuffing) or a restart marker; anything else is a marker.
_JPEG_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _jpeg_end(data: bytes, pos: int) -> int | None:
    """Walk one JPEG's segments from its SOI at `pos` to the end of its EOI. Segments are skipped by their length,
    so a thumbnail inside APP1 (with its own EOI) is passed over, not taken for the end."""
    if data[pos : pos + 2] != b"\xff\xd8":
        return None
    pos += 2
    size = len(data)
    while True:
        if pos >= size or data[pos] != 0xFF:
            return None
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return pos
        if marker in _JPEG_STANDALONE:
            continue
        if pos + 2 > size:
            return None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return None
        pos += length
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next marker
            found = _JPEG_NEXT_MARKER.search(data, pos)
            if found is None:
                return None
            pos = found.start()


def _jpeg_images_end(data: bytes) -> int | None:
    # Phones append further complete JPEGs after the first one's EOI (MPF: multi-picture, HDR gain maps); those
    # are images too. Anything else after them is not.
    end = _jpeg_end(data, 0)
    while end is not None and data.startswith(b"\xff\xd8\xff", end):
        following = _jpeg_end(data, end)
        if following is None:
            break
        end = following
    return end


def _png_end(data: bytes) -> int | None:
    pos = 8  # the signature
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        pos += 12 + length  # length, type, data, CRC
        if chunk_type == b"IEND":
            return pos if pos <= len(data) else None
    return None


def _gif_sub_blocks_end(data: bytes, pos: int) -> int | None:
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return None


def _gif_end(data: bytes) -> int | None:
    if len(data) < 13:
        return None
    flags = data[10]
    pos: int | None = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)  # global colour table
    while pos is not None and pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer
            return pos + 1
        if block == 0x21:  # extension: introducer, label, sub-blocks
            pos = _gif_sub_blocks_end(data, pos + 2)
        elif block == 0x2C:  # image: descriptor, local colour table, LZW code size, sub-blocks
            if pos + 10 > len(data):
                return None
            flags = data[pos + 9]
            pos += 10 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
            pos = _gif_sub_blocks_end(data, pos + 1)
        else:
            return None
    return None


def _webp_end(data: bytes) -> int | None:
    if len(data) < 12:
        return None
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > len(data):
        return None
    return min(end + (end & 1), len(data))  # RIFF chunks are padded to an even length


_IMAGE_END: dict[str, Callable[[bytes], int | None]] = {
    "image/jpeg": _jpeg_images_end,
    "image/png": _png_end,
    "image/gif": _gif_end,
    "image/webp": _webp_end,
}
TRAILING_SLACK = 16  # bytes some encoders leave after the end; too few to carry anything
_PADDING = b"\x00\xff\t\n\r "


def image_end(data: bytes, content_type: str) -> int | None:
    """The offset where the image's own structure ends, or None when it is cut short or malformed."""
    return _IMAGE_END[content_type](data)


def has_trailing_data(data: bytes, end: int) -> bool:
    """More than a few bytes after the image's end, and not just padding."""
    trailing = data[end:]
    return len(trailing) > TRAILING_SLACK and bool(trailing.strip(_PADDING))
