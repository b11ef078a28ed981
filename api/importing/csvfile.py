"""A CSV export read as bytes: every record with the offset it starts at, to be read again.

Lines end as a text stream with `newline=""` ends them (at CR LF, CR or LF), and the text is
UTF-8 with an optional byte order mark, so a record reads the same either way.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from api.importing.mapping import CannotImport, Mapping

LINE = re.compile(rb"[^\r]*(?:\r\n|\r|\Z)")


@dataclass(frozen=True)
class Record:
    """One non-blank record: its first physical line, the byte it starts at, cells by column."""

    line: int
    offset: int
    cells: dict[str, str]


class Lines:
    """A binary stream's lines as text, counting the bytes read to the start of the next."""

    def __init__(self, stream: BinaryIO, offset: int) -> None:
        self.stream = stream
        self.offset = offset

    def __iter__(self) -> Iterator[str]:
        for chunk in self.stream:
            for line in LINE.findall(chunk) if b"\r" in chunk else (chunk,):
                if line:
                    self.offset += len(line)
                    yield line.decode("utf-8")


class CsvFile:
    """An open CSV file whose header names every column the mapping maps."""

    def __init__(self, path: Path, stream: BinaryIO, mapping: Mapping) -> None:
        self.path = path
        self.stream = stream
        start = len(codecs.BOM_UTF8) if stream.read(3) == codecs.BOM_UTF8 else 0
        stream.seek(start)
        self.lines = Lines(stream, start)
        self.reader = csv.reader(self.lines)
        header = next(self.reader, None)
        if header is None:
            raise CannotImport(f"{path}: the file is empty (a header line is needed)")
        self.header = [name.strip() for name in header]
        missing = [f"{column!r} (for {key})" for key, column in mapping.columns.items()
                   if column not in self.header]
        if missing:
            raise CannotImport(f"{path}: no column {', '.join(missing)} in the header")

    def __iter__(self) -> Iterator[Record]:
        """Each non-blank record from here on, in file order."""
        previous = self.reader.line_num
        offset = self.lines.offset
        for cells in self.reader:
            line, previous = previous + 1, self.reader.line_num
            start, offset = offset, self.lines.offset
            if any(cell.strip() for cell in cells):
                yield Record(line, start, dict(zip(self.header, cells, strict=False)))

    def record_at(self, offset: int, line: int) -> Record:
        """The record starting at `offset`, read again (its first line is `line`)."""
        with file_errors(self.path):
            self.stream.seek(offset)
            self.lines = Lines(self.stream, offset)
            self.reader = csv.reader(self.lines)
            cells = next(self.reader, None)
        if cells is None:
            raise CannotImport(f"{self.path} changed while it was being imported")
        return Record(line, offset, dict(zip(self.header, cells, strict=False)))


@contextmanager
def file_errors(path: Path) -> Iterator[None]:
    """Any problem reading the file is one CannotImport."""
    try:
        yield
    except OSError as error:
        raise CannotImport(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise CannotImport(f"{path} is not UTF-8 text: {error.reason}") from None
    except csv.Error as error:
        raise CannotImport(f"{path}: not a readable CSV file: {error}") from None


@contextmanager
def opened(path: Path, mapping: Mapping) -> Iterator[CsvFile]:
    """The file, open for reading, its header checked against the mapping."""
    with file_errors(path):
        stream = path.open("rb")
    try:
        with file_errors(path):
            csv_file = CsvFile(path, stream, mapping)
        yield csv_file
    finally:
        stream.close()


def records(csv_file: CsvFile) -> Iterator[Record]:
    """Every non-blank record after the header, in file order."""
    with file_errors(csv_file.path):
        yield from csv_file
