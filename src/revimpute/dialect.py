"""How a CSV file is written: its encoding, its separator and its header.

:func:`csv_dialect` looks at a CSV/TSV file (plain or ``.gz``) before it is
parsed and returns a :class:`CsvDialect`:

* **Encoding.** A byte-order mark says UTF-8 (``utf-8-sig``) or UTF-16.
  Otherwise the whole file is checked as UTF-8, block by block; a file that is
  not UTF-8 is read as cp1252 (Windows Latin-1; ISO 8859-1 when it holds a
  byte cp1252 leaves undefined), with a note naming the first byte that is
  not UTF-8 by its offset in the file. A file whose first non-UTF-8 byte
  comes after valid multi-byte UTF-8 characters mixes two encodings and is
  refused: either reading would garble part of it. An encoding given by the
  caller is checked the same way, and a byte it cannot decode is named by
  its offset in the file.
* **Separator.** A ``.tsv`` file is tab-separated. Otherwise the first
  records are parsed with each of ``,`` ``;`` tab ``|`` (quotes respected);
  the separator that splits the header into the most fields and the other
  records into as many wins (``,`` on a tie).
* **Header.** Two columns with the same name are refused by name (pandas
  would silently rename the second ``x.1``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from revimpute.exceptions import InputDataError

#: Separators tried when the caller gives none, in order of preference on a tie.
SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")
#: Bytes of the file's start examined for the separator and the header.
SAMPLE_BYTES = 1 << 16
#: Records examined for the separator.
SAMPLE_RECORDS = 200
#: Bytes the cp1252 code page leaves undefined (a file holding one is ISO 8859-1).
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_BLOCK = 1 << 20
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass(frozen=True)
class CsvDialect:
    """The encoding, separator and column names of a CSV file.

    Attributes
    ----------
    encoding : str
        Codec name to decode the file with (``"utf-8"``, ``"utf-8-sig"``,
        ``"utf-16"``, ``"cp1252"``, ``"latin-1"`` or the one given).
    sep : str
        The field separator.
    columns : tuple of str
        The header's column names as written.
    notes : tuple of str
        What a user should know about how the file is read (an encoding
        other than UTF-8 chosen, a separator found by sniffing); empty when
        the file is plain UTF-8 with the separator its extension implies.
    """

    encoding: str
    sep: str
    columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def sep_name(self) -> str:
        """The separator in words: ``','``, ``';'``, ``tab``, ``'|'``."""
        return _NAMES.get(self.sep, repr(self.sep))


def is_gzip(path: str | os.PathLike) -> bool:
    """True when ``path`` names a gzip-compressed CSV (``.gz``)."""
    return str(path).lower().endswith(".gz")


def default_separator(path: str | os.PathLike) -> str:
    """The separator a file's extension implies: a tab for ``.tsv``, else a comma."""
    name = str(path).lower()
    return "\t" if name.endswith((".tsv", ".tsv.gz")) else ","


@contextlib.contextmanager
def open_bytes(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a CSV file for reading its bytes, decompressing a ``.gz`` file.

    Raises
    ------
    InputDataError
        If a ``.gz`` file is not valid gzip data (raised on reading).
    """
    handle: IO[bytes] = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
    try:
        yield handle
    finally:
        handle.close()


def _read(handle: IO[bytes], size: int, path: str | os.PathLike) -> bytes:
    try:
        return handle.read(size)
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        if is_gzip(path):
            raise InputDataError(f"{path}: not a valid gzip file ({exc})") from None
        raise


def _check_decodes(path: str | os.PathLike, encoding: str) -> None:
    """Decode the whole file with ``encoding``; name the first byte that fails by its offset."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    position = 0
    with open_bytes(path) as handle:
        while True:
            block = _read(handle, _BLOCK, path)
            buffered = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                offset = position - buffered + exc.start
                bad = exc.object[exc.start:exc.start + 1].hex().upper()
                raise InputDataError(
                    f"{path}: not {encoding} text (byte {offset:,} is 0x{bad}); "
                    "pass another --encoding or re-save the file as UTF-8"
                ) from None
            if not block:
                return
            position += len(block)


def _utf8_or_fallback(path: str | os.PathLike) -> tuple[str, str]:
    """``("utf-8", "")`` for a UTF-8 file, else the fallback codec and a note.

    Raises
    ------
    InputDataError
        If the file mixes UTF-8 characters and bytes that are not UTF-8.
    """
    position = 0
    pending = b""
    non_ascii = False
    with open_bytes(path) as handle:
        while True:
            block = _read(handle, _BLOCK, path)
            data = pending + block
            try:
                text, used = codecs.utf_8_decode(data, "strict", not block)
            except UnicodeDecodeError as exc:
                offset = position + exc.start
                byte = data[exc.start:exc.start + 1].hex().upper()
                if non_ascii or not data[:exc.start].isascii():
                    raise InputDataError(
                        f"{path}: mixes encodings: byte {offset:,} (0x{byte}) is not UTF-8 but "
                        "earlier characters are; re-save the file in one encoding or pass --encoding"
                    ) from None
                codec = "latin-1" if _has_cp1252_undefined(data[exc.start:], handle, path) else "cp1252"
                words = "ISO 8859-1" if codec == "latin-1" else "cp1252 (Windows Latin-1)"
                return codec, (f"{Path(path).name} is not UTF-8 (byte {offset:,} is 0x{byte}): read as "
                               f"{words}; pass --encoding to choose another")
            non_ascii = non_ascii or not text.isascii()
            if not block:
                return "utf-8", ""
            position += used
            pending = data[used:]


def _has_cp1252_undefined(rest: bytes, handle: IO[bytes], path: str | os.PathLike) -> bool:
    """Whether ``rest`` or the remaining bytes of ``handle`` hold a byte cp1252 leaves undefined."""
    block = rest
    while block:
        if any(byte in block for byte in _CP1252_UNDEFINED):
            return True
        block = _read(handle, _BLOCK, path)
    return False


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputDataError(f"unknown encoding {encoding!r} (try utf-8, cp1252 or latin-1)") from None


def detect_encoding(path: str | os.PathLike, encoding: str | None = None) -> tuple[str, str]:
    """The codec to read ``path`` with, and a note when it is not plain UTF-8.

    Parameters
    ----------
    path : str or path-like
    encoding : str, optional
        The caller's choice; checked against the whole file.

    Returns
    -------
    (encoding, note) : tuple of str

    Raises
    ------
    InputDataError
        Binary data, an unknown codec, a byte the given codec cannot decode
        or a file mixing encodings (each named by its byte offset).
    """
    with open_bytes(path) as handle:
        head = _read(handle, SAMPLE_BYTES, path)
    bom = _bom_encoding(head)
    if encoding is not None:
        codec = _codec(encoding)
        if codec == "utf-8" and bom == "utf-8-sig":
            codec = "utf-8-sig"
        _check_decodes(path, codec)
        return codec, ""
    if bom is not None:
        _check_decodes(path, bom)
        return bom, ""
    if b"\x00" in head:
        raise InputDataError(f"{path}: binary data, not a text CSV file")
    return _utf8_or_fallback(path)


def _records(sample: str, sep: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=sep, quotechar='"', strict=False)
    records = []
    try:
        for record in reader:
            if record:
                records.append(record)
            if len(records) >= SAMPLE_RECORDS:
                break
    except csv.Error:
        pass
    return records


def sniff_separator(sample: str, default: str = ",", *, complete: bool = True) -> str:
    """The separator among :data:`SEPARATORS` that splits ``sample`` into a table.

    Parameters
    ----------
    sample : str
        The start of the file, decoded.
    default : str, default=","
        The answer when no separator splits the header into two fields or
        more, and the preferred one on a tie.
    complete : bool, default=True
        False when ``sample`` is cut from a longer file (its last record is
        then left out, as it may be incomplete).

    Returns
    -------
    str
        The separator that splits the header into at least two fields and
        the largest share of the other records into as many, the header's
        field count breaking ties, then ``default``, then the order of
        :data:`SEPARATORS`.
    """
    best: tuple | None = None
    choice = default
    for order, sep in enumerate(SEPARATORS):
        records = _records(sample, sep)
        if not complete and len(records) > 1:
            records = records[:-1]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rest = records[1:]
        agree = sum(len(r) == width for r in rest) / len(rest) if rest else 1.0
        key = (agree, width, sep == default, -order)
        if best is None or key > best:
            best, choice = key, sep
    return choice


def _sample_text(path: str | os.PathLike, encoding: str) -> tuple[str, bool]:
    """The decoded start of the file, cut at a line end, and whether it is the whole file.

    At least :data:`SAMPLE_BYTES` bytes, and more until the sample holds two
    line ends (a header wider than that is read whole).
    """
    with open_bytes(path) as handle:
        head = _read(handle, SAMPLE_BYTES + 1, path)
        while head.count(b"\n") < 2:
            more = _read(handle, max(len(head), SAMPLE_BYTES), path)
            if not more:
                break
            head += more
    complete = len(head) <= SAMPLE_BYTES or head.count(b"\n") < 2
    text = head.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not complete:
        cut = text.rfind("\n")
        text = text[:cut + 1] if cut >= 0 else text
    return text, complete


def _header(sample: str, sep: str) -> list[str]:
    records = _records(sample, sep)
    return records[0] if records else []


def check_unique_columns(columns: list[str] | tuple[str, ...], path: str | os.PathLike) -> None:
    """Refuse a header that names two columns alike.

    Raises
    ------
    InputDataError
        Naming the column and the positions (1-based) of its first two uses.
    """
    seen: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if name in seen:
            raise InputDataError(
                f"{path}: the column name {name!r} is used twice (columns {seen[name]} and "
                f"{position}); give every column its own name"
            )
        seen[name] = position


def csv_dialect(
    path: str | os.PathLike, encoding: str | None = None, sep: str | None = None
) -> CsvDialect:
    """Find how a CSV/TSV file is written (see the module's notes).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.tsv``, ``.txt`` file, plain or ``.gz``.
    encoding : str, optional
        The file's encoding; found from the bytes when None.
    sep : str, optional
        The field separator (one character, or ``"tab"``/``"\\t"``); found
        from the first records when None (a ``.tsv`` file: tab).

    Returns
    -------
    CsvDialect

    Raises
    ------
    InputDataError
        Binary data, an undecodable byte (named by its offset in the file),
        an unknown codec, a separator that is not one character, or two
        columns with the same name.
    """
    codec, note = detect_encoding(path, encoding)
    notes = [note] if note else []
    sample, complete = _sample_text(path, codec)
    default = default_separator(path)
    if sep is not None:
        chosen = parse_separator(sep)
    elif default == "\t":
        chosen = default
    else:
        chosen = sniff_separator(sample, default, complete=complete)
        if chosen != default:
            notes.append(f"{Path(path).name} is read as {_NAMES[chosen]}-separated "
                         "(found from its first lines; pass --sep to choose another)")
    columns = tuple(_header(sample, chosen))
    check_unique_columns(columns, path)
    return CsvDialect(codec, chosen, columns, tuple(notes))


def parse_separator(sep: str) -> str:
    """A separator as given by a user: one character, or ``tab`` / ``\\t`` for a tab.

    Raises
    ------
    InputDataError
        If ``sep`` is not one character (and not a name of the tab).
    """
    if sep.lower() in ("tab", "\\t", "\t"):
        return "\t"
    if len(sep) != 1 or sep in ('"', "\n", "\r"):
        raise InputDataError(f"--sep must be one character such as ',' ';' '|' or 'tab', got {sep!r}")
    return sep
