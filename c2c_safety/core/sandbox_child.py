"""The sandboxed half of upload checking: runs as its own short-lived process.

Started by core/sandbox.py as `python -I sandbox_child.py image|pdf` with the file on
stdin. The first thing it does, before reading a byte of the file, is limit itself: address
space, CPU seconds, no files written, few descriptors. A decompression bomb, a pathological
JPEG or a malformed PDF can then only kill this process, never the web process that waits
for it. It imports nothing of ours (only the standard library, Pillow and pikepdf), so it
starts quickly and the web application's state (database connections, keys) is not in it.

Answer on stdout: `OK <media type>\\n<bytes>` for a re-encoded image, `OK\\n` for a clean
PDF, or `NO <code>\\n` for a refusal; any other ending (killed, crashed) is a refusal too.
"""

from __future__ import annotations

import io
import os
import re
import resource
import sys
import warnings
from collections.abc import Iterator
from typing import Any

# Limits come from the parent (core/sandbox.py) through the environment.
MEMORY_LIMIT = int(os.environ.get("C2C_SANDBOX_MEMORY", str(1024 * 1024 * 1024)))
CPU_SECONDS = int(os.environ.get("C2C_SANDBOX_CPU", "10"))
MAX_INPUT = int(os.environ.get("C2C_SANDBOX_MAX_INPUT", str(5 * 1024 * 1024)))
MAX_OUTPUT = int(os.environ.get("C2C_SANDBOX_MAX_OUTPUT", str(25 * 1024 * 1024)))
MAX_PIXELS = int(os.environ.get("C2C_SANDBOX_MAX_PIXELS", "50000000"))
# Bytes per pixel as Pillow holds a decoded image ("RGB" is padded to 4); unknown modes: 8.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 4, "PA": 4, "La": 4, "RGB": 4, "RGBA": 4, "RGBa": 4,
                    "RGBX": 4, "CMYK": 4, "YCbCr": 4, "LAB": 4, "HSV": 4, "I": 4, "F": 4,
                    "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
MAX_DECODED_BYTES = MAX_PIXELS * 4
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}

# --- PDF active content ---------------------------------------------------------------------
# Keys whose presence means the document can act on its own or carries a file: scripts
# (/JS, the /JavaScript name tree), automatic triggers (/AA), attached files (/EmbeddedFiles,
# a file specification's /EF), rich media and XFA forms (which carry their own scripts).
PDF_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EF", "/RichMediaContent",
                             "/RichMediaSettings", "/XFA"})
# Action types (an action dictionary's /S) that run code, open or fetch something, or send data.
# An /OpenAction that is a destination (go to page n) is fine; one that is an action is judged
# by its /S like every other action.
PDF_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
                                "/RichMediaExecute", "/Rendition", "/Movie", "/Sound"})
PDF_ACTIVE_TYPES = frozenset({"/EmbeddedFile"})  # /Type values
PDF_ACTIVE_SUBTYPES = frozenset({"/RichMedia", "/Movie", "/Sound", "/Screen", "/3D", "/FileAttachment"})
# Links (/URI actions) are not active content: a viewer asks before following one, and the
# same address could be typed in the report. Only web and mail links are kept; any other
# scheme (javascript:, file:, smb: that leaks credentials, data:) refuses the file.
URI_SCHEMES = ("http://", "https://", "mailto:")
# Second net over the raw file and every decoded stream: the long names only, also written
# with #xx escapes. (Three-letter names like /JS turn up by chance in compressed or font
# bytes often enough to refuse honest files; the object walk catches those.)
PDF_ACTIVE_TEXT = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)"
                             rb"(?![A-Za-z0-9#])")
MAX_PDF_OBJECTS = 200_000
MAX_PDF_DECODED = 64 * 1024 * 1024  # bytes of decoded streams inspected per file


class RefusedError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def limit_self() -> None:
    """Hard limits, set before the untrusted bytes are read. The kernel enforces them."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes to files fail (stdout is a pipe)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))


# --- images ---------------------------------------------------------------------------------

def reencode_image(data: bytes, media_type: str) -> tuple[bytes, str]:
    """Pixels only, upright, in a fresh image: no EXIF, XMP, ICC profile or text survives."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        # Pillow warns before it errors; either means "possible decompression bomb".
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            img = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise RefusedError("bomb") from None
        if img.format != PIL_FORMATS.get(media_type):
            raise RefusedError("bad_type")
        # The header gives the size: refuse before a single pixel is decoded.
        if img.width * img.height > MAX_PIXELS or \
                img.width * img.height * _BYTES_PER_PIXEL.get(img.mode, 8) > MAX_DECODED_BYTES:
            raise RefusedError("bomb")
        img.load()
        upright = ImageOps.exif_transpose(img) or img
        if upright is not img:
            img.close()
        out_type = "image/jpeg" if media_type == "image/jpeg" else "image/png"
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        if out_type == "image/jpeg":
            mode = "L" if upright.mode == "L" else "RGB"
        else:
            mode = "RGBA" if has_alpha else ("L" if upright.mode == "L" else "RGB")
        size = upright.size
        # Raw pixels into a new image, which carries no info dict at all. Each copy is
        # dropped as soon as the next exists, so at most two are alive at once.
        converted = upright if upright.mode == mode else upright.convert(mode)
        if converted is not upright:
            upright.close()
        raw = converted.tobytes()
        converted.close()
        fresh = Image.frombytes(mode, size, raw)
        del raw
        buf = io.BytesIO()
        if out_type == "image/jpeg":
            fresh.save(buf, format="JPEG", quality=90, optimize=True)
        else:
            # zlib level 6, no filter search: `optimize` took most of the 14 s a 40 MP PNG cost.
            fresh.save(buf, format="PNG", compress_level=6)
        return buf.getvalue(), out_type


# --- PDFs -------------------------------------------------------------------------------------

def _dicts(obj: Any) -> Iterator[Any]:
    """The dictionary of an object or stream (arrays are walked by qpdf as separate objects
    only when indirect, so direct arrays and dictionaries are walked here)."""
    import pikepdf

    stack = [obj]
    seen = 0
    while stack:
        cur = stack.pop()
        seen += 1
        if seen > 100_000:
            raise RefusedError("pdf_complex")
        if isinstance(cur, pikepdf.Stream):
            cur = cur.stream_dict
        if isinstance(cur, pikepdf.Dictionary):
            yield cur
            stack.extend(v for v in cur.values() if _direct_container(v))
        elif isinstance(cur, pikepdf.Array):
            stack.extend(v for v in cur if _direct_container(v))


def _direct_container(value: Any) -> bool:
    # Indirect objects are reached by the walk over pdf.objects; scalars come back as Python
    # values (int, bool, Decimal) and hold nothing.
    import pikepdf

    return isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream) and not value.is_indirect


def _check_dict(d: Any) -> None:
    import pikepdf

    if PDF_ACTIVE_KEYS.intersection(d.keys()):
        raise RefusedError("pdf_active")
    for key, bad in (("/Type", PDF_ACTIVE_TYPES), ("/Subtype", PDF_ACTIVE_SUBTYPES), ("/S", PDF_ACTIVE_ACTIONS)):
        value = d.get(key)
        if isinstance(value, pikepdf.Name) and str(value) in bad:
            raise RefusedError("pdf_active")
    if d.get("/S") == pikepdf.Name.URI:
        uri = d.get("/URI")
        text = bytes(uri).decode("latin-1").strip().lower() if isinstance(uri, pikepdf.String) else ""
        if not text.startswith(URI_SCHEMES):
            raise RefusedError("pdf_active")


GENERAL_FILTERS = frozenset({"/FlateDecode", "/LZWDecode", "/ASCIIHexDecode", "/ASCII85Decode", "/RunLengthDecode",
                             "/Fl", "/LZW", "/AHx", "/A85", "/RL"})


def _filters(stream: Any) -> set[str]:
    import pikepdf

    value = stream.stream_dict.get("/Filter")
    if isinstance(value, pikepdf.Name):
        return {str(value)}
    if isinstance(value, pikepdf.Array):
        return {str(v) for v in value}
    return set()


def _plain_names(chunk: bytes) -> bytes:
    # Names may hide letters as #xx escapes (/J#61vaScript).
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), chunk)


def scan_pdf(data: bytes) -> None:
    """Refuse a PDF that could act on its own. qpdf parses every object, those inside object
    streams included, whatever filters (Flate, ASCIIHex, ASCII85, LZW, RunLength) hide
    them; every dictionary is judged, every stream decoded and searched as a second net."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise RefusedError("pdf_encrypted") from None
    except Exception:  # qpdf raises many kinds on hostile files; any of them is "broken"
        raise RefusedError("broken") from None
    with pdf:
        if PDF_ACTIVE_TEXT.search(_plain_names(data)):
            raise RefusedError("pdf_active")
        budget = MAX_PDF_DECODED
        for count, obj in enumerate(pdf.objects):
            if count > MAX_PDF_OBJECTS:
                raise RefusedError("pdf_complex")
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
                continue
            for d in _dicts(obj):
                _check_dict(d)
            if isinstance(obj, pikepdf.Stream):
                if obj.stream_dict.get("/Subtype") == pikepdf.Name.Image:
                    continue  # pixels, and often a lossy filter qpdf does not decode
                try:
                    decoded = obj.read_bytes(pikepdf.StreamDecodeLevel.generalized)
                except pikepdf.PdfError:
                    if _filters(obj) <= GENERAL_FILTERS:
                        raise RefusedError("pdf_complex") from None  # should decode and did not: a bomb or damage
                    continue  # an image codec (DCT, JBIG2...): pixels, no viewer parses objects from them
                budget -= len(decoded)
                if budget < 0:
                    raise RefusedError("pdf_complex")  # too much to inspect: refuse rather than guess
                if PDF_ACTIVE_TEXT.search(_plain_names(decoded)):
                    raise RefusedError("pdf_active")


# --- entry point ----------------------------------------------------------------------------

def _answer(head: bytes, body: bytes = b"") -> None:
    sys.stdout.buffer.write(head + b"\n" + body)
    sys.stdout.buffer.flush()


def main(argv: list[str]) -> int:
    limit_self()
    kind = argv[1] if len(argv) > 1 else ""
    data = sys.stdin.buffer.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        _answer(b"NO too_large")
        return 0
    try:
        if kind == "pdf":
            scan_pdf(data)
            _answer(b"OK")
        elif kind.startswith("image/"):
            out, out_type = reencode_image(data, kind)
            if len(out) > MAX_OUTPUT:
                raise RefusedError("too_large")
            _answer(b"OK " + out_type.encode(), out)
        else:
            _answer(b"NO bad_type")
    except RefusedError as exc:
        _answer(b"NO " + exc.code.encode())
    except MemoryError:  # the address-space limit: within the pixel budget, still too costly
        _answer(b"NO too_complex")
    except Exception:  # hostile files make Pillow and qpdf raise almost anything
        _answer(b"NO broken")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
