"""The one CSV reader: the encodings and separators spreadsheets write, and errors that say what was found."""

from __future__ import annotations

import pytest

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.csv_io import read_boxes, read_labels, read_table
from whaleid_gui.core.errors import BadInputError

ROWS = [("a.jpg", "HW-1"), ("baleine été.jpg", "Bérénice")]
ENCODINGS = {  # name in the error/notes -> how the bytes are made
    "UTF-16": lambda t: t.encode("utf-16"),  # Excel "Unicode text": BOM + little-endian
    "UTF-16 (big-endian, BOM)": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "UTF-16 (little-endian, no BOM)": lambda t: t.encode("utf-16-le"),
    "UTF-16 (big-endian, no BOM)": lambda t: t.encode("utf-16-be"),
    "UTF-8 with BOM": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "UTF-8": lambda t: t.encode("utf-8"),
    "Windows-1252": lambda t: t.encode("cp1252"),
}
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _write(path, sep, encode, header=("Image", "Id"), rows=ROWS):
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    path.write_bytes(encode("\r\n".join(lines) + "\r\n"))
    return path


@pytest.mark.parametrize("sep", SEPARATORS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_spreadsheet_encoding_and_separator_is_read(tmp_path, encoding, sep):
    path = _write(tmp_path / "labels.csv", sep, ENCODINGS[encoding])
    rows = read_labels(path)
    assert [(r.image, r.id) for r in rows] == ROWS
    assert rows[1].path == tmp_path / "baleine été.jpg"
    _, how = read_table(path, ("Image", "Id"))
    assert how.startswith(encoding.replace(" (big-endian, BOM)", ",")) and how.endswith(f"{SEPARATORS[sep]}-separated")


def test_a_wrong_header_names_the_encoding_and_separator_found(tmp_path):
    path = _write(tmp_path / "labels.csv", ";", ENCODINGS["UTF-16"], header=("Photo", "Whale"))
    with pytest.raises(BadInputError) as err:
        read_labels(path)
    message = str(err.value)
    assert str(path) in message and "missing column(s) Image, Id" in message
    assert "found Photo, Whale (read as UTF-16, semicolon-separated)" in message
    assert "\\x00" not in message and "\x00" not in message


def test_semicolon_boxes_with_decimal_commas(tmp_path):
    path = tmp_path / "boxes.csv"
    path.write_bytes("Image;x0;y0;x1;y1\na.jpg;1,5;2;30,25;40\n".encode("utf-16"))
    assert read_boxes(path) == {(tmp_path / "a.jpg").resolve(): BoundingBox(1.5, 2.0, 30.25, 40.0)}


def test_a_quoted_comma_in_a_semicolon_header_does_not_decide(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text('Image;"Id, as in the catalog"\na.jpg;HW-1\n', encoding="utf-8")
    frame, how = read_table(path, ("Image",))
    assert how == "UTF-8, semicolon-separated" and list(frame.columns) == ["Image", "Id, as in the catalog"]
