"""Finds active content in a PDF (scripts, launch, submit and remote actions, embedded files, rich media, XFA
forms) by the names that declare it, in any #xx spelling, including inside Flate-compressed object streams."""

import re
import zlib

_DELIMITER = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"  # what ends a PDF name
_WHITESPACE = rb"[\x00\t\n\x0c\r ]"
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _spelled(name: str) -> bytes:
    """A pattern for one PDF name in any spelling: each character as itself or as a #xx escape (/J#61vaScript)."""
    parts = []
    for char in name:
        escape = "#" + "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in f"{ord(char):02x}")
        parts.append(f"(?:{re.escape(char)}|{escape})")
    return "".join(parts).encode()


def _names(*names: str, suffix: bytes = b"") -> re.Pattern[bytes]:
    return re.compile(rb"/(?:" + b"|".join(_spelled(n) for n in names) + rb")" + _DELIMITER + suffix)


# What a reader runs or opens (ISO 32000-1 12.6 actions, 7.11 embedded files, 13 multimedia, 12.7.8 XFA). These
# names are long enough to look for everywhere, compressed stream data included, without false alarms. An
# /OpenAction that is a destination array only opens a page; any other one is refused.
_ACTIVE = (
    _names(
        "JavaScript",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "FileAttachment",
        "RichMedia",
        "XFA",
        "SubmitForm",
        "ImportData",
        "GoToR",
        "GoToE",
        "Rendition",
    ),
    _names("OpenAction", suffix=rb"(?!" + _WHITESPACE + rb"*\[)"),
)
# A script (/JS), additional actions (/AA), an embedded file stream (/EF): two letters turn up by chance in
# compressed bytes, so these are looked for outside stream data, and inside object streams once inflated.
# (A script still needs /S /JavaScript, which the first list finds everywhere.)
_ACTIVE_SHORT = _names("JS", "AA", "EF")
_OBJECT_STREAM = _names("ObjStm")
_FLATE = _names("FlateDecode", "Fl")
# Filters and parameters this check does not undo; an object stream using one is refused rather than unread.
_OTHER_ENCODING = _names(
    *("ASCIIHexDecode", "AHx", "ASCII85Decode", "A85", "LZWDecode", "LZW", "RunLengthDecode", "RL"),
    *("CCITTFaxDecode", "CCF", "DCTDecode", "DCT", "JBIG2Decode", "JPXDecode", "Crypt", "Predictor"),
)
_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
MAX_INFLATED = 64 * 1024 * 1024  # bytes of object streams inflated per file, at most


class PdfUnreadable(Exception):
    """The PDF keeps objects where this check cannot read them."""


def active_content(data: bytes) -> str | None:
    """The first name of active content in the PDF, else None. Raises PdfUnreadable for an object stream it cannot
    inflate (another filter, a predictor, encryption, cut short, or more than MAX_INFLATED)."""
    outside: list[bytes] = []
    streams: list[tuple[bytes, bytes]] = []  # (the text since the previous stream: its dictionary, its data)
    pos = 0
    while (keyword := _STREAM.search(data, pos)) is not None:
        end = data.find(b"endstream", keyword.end())
        end = len(data) if end == -1 else end
        outside.append(data[pos : keyword.start()])
        streams.append((outside[-1], data[keyword.end() : end]))
        pos = end + len(b"endstream")
    outside.append(data[pos:])

    found = _first(data, _ACTIVE) or _first(b" ".join(outside), (_ACTIVE_SHORT,))
    if found:
        return found
    budget = MAX_INFLATED
    marked = 0
    for dictionary, body in streams:
        if (count := len(_OBJECT_STREAM.findall(dictionary))) == 0:
            continue
        marked += count
        if _OTHER_ENCODING.search(dictionary):
            raise PdfUnreadable("an object stream uses an encoding this check does not read")
        objects = _inflate(body, budget) if _FLATE.search(dictionary) else body
        budget -= len(objects)
        if found := _first(objects, (*_ACTIVE, _ACTIVE_SHORT)):
            return found
    if len(_OBJECT_STREAM.findall(data)) > marked:
        # /ObjStm inside what looked like stream data: a stream keyword where a reader sees none.
        raise PdfUnreadable("an object stream could not be told apart from stream data")
    return None


def _first(text: bytes, patterns: tuple[re.Pattern[bytes], ...]) -> str | None:
    for pattern in patterns:
        if (match := pattern.search(text)) is not None:
            return _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), match[0]).decode("latin-1")
    return None


def _inflate(body: bytes, budget: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        objects = inflater.decompress(body, budget + 1)
    except zlib.error:
        raise PdfUnreadable("an object stream does not inflate") from None
    if len(objects) > budget:
        raise PdfUnreadable("object streams inflate to more than this check reads")
    if not inflater.eof:
        raise PdfUnreadable("an object stream is cut short")
    return objects
