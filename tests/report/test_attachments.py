"""Attachment checks: type by content, metadata stripped, bombs and oversize refused, sealed."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image, PngImagePlugin

from c2c_safety.cases import attachments as stored
from c2c_safety.core import uploads as attachments
from c2c_safety.core.db import new_session
from c2c_safety.core.uploads import AttachmentRejectedError, clean
from c2c_safety.report import reports
from models import Attachment

GPS_IFD = 0x8825


def jpeg_with_gps(size=(64, 48), orientation: int | None = None) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"      # Make
    exif[0x0110] = "SecretPhone 12"  # Model
    exif[0x0131] = "Snapper 1.0"     # Software
    if orientation:
        exif[0x0112] = orientation
    exif[GPS_IFD] = {1: "N", 2: (55.0, 40.0, 34.5), 3: "E", 4: (12.0, 34.0, 5.25)}  # Copenhagen
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif, icc_profile=b"fake-icc-profile-data", comment=b"secret comment")
    return buf.getvalue()


def _png(img: Image.Image, **info: str) -> bytes:
    meta = PngImagePlugin.PngInfo()
    for k, v in info.items():
        meta.add_text(k, v)
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=meta)
    return buf.getvalue()


def test_jpeg_loses_exif_gps_icc_and_comment():
    raw = jpeg_with_gps()
    with Image.open(io.BytesIO(raw)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the test image really has GPS
    out = clean("IMG_1234.JPG", raw)
    assert out.media_type == "image/jpeg" and out.filename == "IMG_1234.jpg"
    with Image.open(io.BytesIO(out.data)) as after:
        assert after.format == "JPEG" and after.size == (64, 48)
        exif = after.getexif()
        assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
        assert "exif" not in after.info and "icc_profile" not in after.info and "comment" not in after.info
    for secret in (b"Exif", b"PhoneMaker", b"SecretPhone", b"secret comment", b"fake-icc"):
        assert secret not in out.data


def test_orientation_is_applied_before_stripping():
    out = clean("portrait.jpg", jpeg_with_gps(size=(40, 20), orientation=6))  # 6 = rotate 90° CW
    with Image.open(io.BytesIO(out.data)) as img:
        assert img.size == (20, 40)


def test_png_text_chunks_are_dropped_and_alpha_kept():
    raw = _png(Image.new("RGBA", (8, 8), (0, 0, 0, 0)), Author="Anna Jensen", Location="Aarhus")
    out = clean("shot.png", raw)
    assert out.media_type == "image/png" and b"Anna Jensen" not in out.data and b"Aarhus" not in out.data
    with Image.open(io.BytesIO(out.data)) as img:
        assert img.mode == "RGBA" and not img.text


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_gif_and_webp_become_png(fmt):
    buf = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 128, 0)).save(buf, format=fmt)
    out = clean(f"anim.{fmt.lower()}", buf.getvalue())
    assert out.media_type == "image/png" and out.filename == "anim.png"
    assert out.data.startswith(b"\x89PNG")


def test_content_decides_not_the_name():
    jpeg = jpeg_with_gps()
    out = clean("holiday.png", jpeg)  # a real JPEG under a PNG name: kept, as what it is
    assert out.media_type == "image/jpeg" and out.filename == "holiday.jpg"


@pytest.mark.parametrize(("name", "data"), [
    ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),                 # a Windows program
    ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("report.pdf", b"<!doctype html><html><body onload=alert(1)>hi</body></html>"),
    ("notes.txt", b"\x00\x01\x02binary\xff\xfe"),
    ("archive.pdf", b"PK\x03\x04" + b"\x00" * 100),                                 # a zip
])
def test_wrong_type_under_a_good_name_is_refused(name, data):
    with pytest.raises(AttachmentRejectedError) as exc:
        clean(name, data)
    assert exc.value.code == "bad_type" and exc.value.filename == name


def test_truncated_image_is_refused_as_broken():
    with pytest.raises(AttachmentRejectedError) as exc:
        clean("cut.jpg", jpeg_with_gps()[:200])
    assert exc.value.code == "broken"
    with pytest.raises(AttachmentRejectedError) as exc:
        clean("fake.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    assert exc.value.code == "broken"


def test_plain_text_is_kept_as_is():
    data = b"Chat log:\nA: hej\nB: <3 you\n"
    out = clean("chat.log", data)
    assert (out.media_type, out.filename, out.data) == ("text/plain", "chat.txt", data)


def test_oversized_file_is_refused_without_reading_it_all():
    big = io.BytesIO(b"x" * (attachments.MAX_FILE_BYTES + 10))
    with pytest.raises(AttachmentRejectedError) as exc:
        attachments.read_upload(big, "big.txt")
    assert exc.value.code == "too_large"
    assert big.tell() == attachments.MAX_FILE_BYTES + 1
    with pytest.raises(AttachmentRejectedError):
        clean("big.txt", b"x" * (attachments.MAX_FILE_BYTES + 1))


def test_too_many_files_and_empty_files():
    # The first five are checked and kept; only the sixth is refused (nothing else is lost).
    good, bad = attachments.clean_uploads([(f"{i}.txt", io.BytesIO(b"hello")) for i in range(6)])
    assert [g.filename for g in good] == [f"{i}.txt" for i in range(5)]
    assert [(b.code, b.filename) for b in bad] == [("too_many", "5.txt")]
    good, bad = attachments.clean_uploads([("a.txt", io.BytesIO(b"hello")), ("b.txt", io.BytesIO(b""))])
    assert len(good) == 1 and [b.code for b in bad] == ["empty"]


def test_decompression_bomb_is_refused():
    # 10,000 x 10,000 one-bit pixels: a ~12 kB file that would decode to 100 megapixels.
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buf, format="PNG", optimize=True)
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(AttachmentRejectedError) as exc:
        clean("bomb.png", buf.getvalue())
    assert exc.value.code == "bomb"


@pytest.mark.parametrize("pixels", [60 * 60, 100 * 100])  # Pillow's warning band, then its error band
def test_pixel_budget_is_read_from_the_header(app, pixels):
    # The budget is the sandbox's setting; past it (and past twice it, Pillow's own error
    # band) the file is refused as a bomb.
    app.config["C2C_UPLOAD_MAX_PIXELS"] = 3_000
    side = int(pixels**0.5)
    buf = io.BytesIO()
    Image.new("RGB", (side, side)).save(buf, format="PNG")
    with app.app_context(), pytest.raises(AttachmentRejectedError) as exc:
        clean("b.png", buf.getvalue())
    assert exc.value.code == "bomb"


# PDFs: tests/report/test_pdf_active_content.py (hand-built documents, encoded object streams).


@pytest.mark.parametrize("body", [
    b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF",
    b"%PDF-1.4\n1 0 obj << /S /J#61vaScript /J#53 (x) >> endobj\n%%EOF",
    b"%PDF-1.4\n1 0 obj << /S /Launch /F (cmd.exe) >> endobj\n%%EOF",
    b"%PDF-1.5\n4 0 obj << /Filter /FlateDecode /Length 40 >>\nstream\n"
    + zlib.compress(b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>") + b"\nendstream\nendobj\n%%EOF",
])
def test_scraps_of_pdf_with_active_content_are_refused(body):
    # Not even a page tree: refused as active content (the raw scan) or as broken, never kept.
    with pytest.raises(AttachmentRejectedError) as exc:
        clean("form.pdf", body)
    assert exc.value.code in ("pdf_active", "broken")


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\anna\\Desktop\\note.txt", "note.txt"),
    ("\u202egnp.txt", "gnp.txt"), ("", "attachment.txt"), ("a" * 300 + ".txt", "a" * 80 + ".txt"),
])
def test_filenames_are_made_safe(name, expected):
    assert attachments.safe_filename(name, "text/plain") == expected


def test_stored_sealed_and_opened_for_staff(app):
    with app.app_context():
        s = new_session(app)
        made = reports.submit_report(s, reports.ReportInput(category="other", what="see file"), [
            clean("IMG.jpg", jpeg_with_gps())])
        s.commit()
        att = s.query(Attachment).filter_by(case_id=made.case.id).one()
        assert att.media_type == "image/jpeg" and att.from_reporter and att.message_id is None
        assert att.data_sealed[:2] == b"C2" and b"JFIF" not in att.data_sealed
        media_type, filename, data = stored.open_attachment(s, att.id)
        assert (media_type, filename) == ("image/jpeg", "IMG.jpg") and data.startswith(b"\xff\xd8\xff")
        assert att.size == len(data)
        with pytest.raises(LookupError):
            stored.open_attachment(s, 999_999)
        s.close()
