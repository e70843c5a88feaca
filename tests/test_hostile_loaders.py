"""Loaders against hostile files (issue #17): a DOCX or PDF that decompresses far beyond
its size, a long DOCX that python-docx reads in quadratic time, YAML and JSON nested
deeply or amplified by aliases, Markdown front matter whose title is an alias tree.
Each is refused with `UnreadableFile` (or loaded, bounded) in a few seconds."""

import time
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
import yaml

from ingest import loaders
from ingest.loaders import UnreadableFile, load_file
from tests.factories import new_usecase

PARAGRAPH = b"<w:p><w:r><w:t>Statistical coding with language models.</w:t></w:r></w:p>"


def docx_with_xml_of(path: Path, size: int) -> Path:
    """A DOCX whose document.xml is `size` bytes of paragraphs: a few KB zipped."""
    docx.Document().save(str(path))
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["word/document.xml"]
    padding = PARAGRAPH * (size // len(PARAGRAPH))
    parts["word/document.xml"] = xml.replace(b"<w:body>", b"<w:body>" + padding, 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def pdf_with_stream_of(path: Path, size: int) -> Path:
    """A one-page PDF whose content stream inflates to `size` bytes of text operators."""
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (coding) Tj ET\n" * (size // 38), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def refused(path: Path, max_bytes: int = 1_000_000) -> str:
    started = time.monotonic()
    with pytest.raises(UnreadableFile) as caught:
        load_file(path, max_bytes=max_bytes)
    assert time.monotonic() - started < 5
    return caught.value.reason


def test_docx_that_decompresses_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = docx_with_xml_of(tmp_path / "bomb.docx", 5_000_000)
    assert bomb.stat().st_size < 100_000
    assert "decompresses to" in refused(bomb)


def test_long_docx_loads_in_linear_time_with_its_headings(tmp_path: Path) -> None:
    document = docx.Document()
    for chapter in range(200):
        document.add_heading(f"Chapter {chapter}", 1)
        for n in range(100):
            document.add_paragraph(f"Paragraph {n} of chapter {chapter} on occupation coding.")
    table = document.add_table(rows=3_000, cols=3)
    for n, row in enumerate(table.rows):
        row.cells[0].text = f"row {n}"
    document.save(str(tmp_path / "long.docx"))
    started = time.monotonic()
    loaded = load_file(tmp_path / "long.docx", max_bytes=20_000_000)
    assert time.monotonic() - started < 15  # about 100 s before: style lookups and row.cells
    assert len(loaded.sections) >= 200 and loaded.sections[0].heading == "Chapter 0"
    assert "row 2999" in loaded.sections[-1].text


def test_loader_over_its_time_limit_is_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loaders, "MAX_PARSE_SECONDS", -1.0)
    document = docx.Document()
    document.add_paragraph("One paragraph.")
    document.save(str(tmp_path / "slow.docx"))
    assert "took more than" in refused(tmp_path / "slow.docx")


def test_pdf_whose_stream_inflates_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = pdf_with_stream_of(tmp_path / "bomb.pdf", 5_000_000)
    assert bomb.stat().st_size < 100_000
    assert "limit" in refused(bomb)


def test_small_pdf_of_the_same_shape_still_loads(tmp_path: Path) -> None:
    pdf = pdf_with_stream_of(tmp_path / "fine.pdf", 2_000)
    assert "coding" in load_file(pdf, max_bytes=1_000_000).sections[0].text


ALIAS_TITLE = "---\n" + "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join([f"*{chr(97 + n)}"] * 9) + "]\n"
    for n in range(5)) + "title: *f\n---\n# Heading\n\nBody text.\n"


def test_markdown_front_matter_alias_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bomb.md").write_text(ALIAS_TITLE)
    assert (tmp_path / "bomb.md").stat().st_size < 500
    assert "aliases" in refused(tmp_path / "bomb.md")


def test_markdown_title_from_plain_front_matter_is_clipped(tmp_path: Path) -> None:
    (tmp_path / "long.md").write_text("---\ntitle: " + "T" * 10_000 + "\n---\n\nBody text.\n")
    assert len(load_file(tmp_path / "long.md", max_bytes=1_000_000).title) <= 300


def test_html_page_too_large_to_extract_in_time_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    page.write_text("<html><body>" + "<p>A paragraph about coding.</p>" * 100_000 + "</body></html>")
    assert "over 2000000 bytes" in refused(page, max_bytes=20_000_000)


@pytest.mark.parametrize("name, text", [
    ("deep.json", "[" * 100_000 + "]" * 100_000),
    ("deep.yaml", "- " * 5_000 + "x"),
    ("bomb.yaml", ALIAS_TITLE.split("---\n")[1] + yaml.safe_dump(new_usecase())),
    ("digits.json", "[" + "9" * 5_000 + "]"),
])
def test_json_and_yaml_files_are_parsed_within_bounds(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    refused(tmp_path / name)
