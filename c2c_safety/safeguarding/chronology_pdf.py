"""A child's chronology as a PDF, for a case conference or the municipality.

fpdf2 (pure Python, no network: nothing is fetched, no font downloaded). No TTF font ships
with our runtime packages, so the PDF uses fpdf2's built-in Helvetica, which covers Latin-1:
Danish (æ ø å) is kept as is; Cyrillic is transliterated (Ukrainian and Russian letters, so
a name stays readable); other accents fall back to their base letter; anything else (emoji,
other scripts) becomes "?". The text can never make the export fail. Every export is
audited (who, whose chronology, how many entries), never with its content.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import ngettext
from fpdf import FPDF
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.safeguarding.chronology import Entry
from models import User, utcnow

_CYRILLIC = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъ",
    ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia", "e", "y", "e", ""], strict=True))
MAX_DETAIL = 4000  # per entry: a chronology is a summary, the referral holds the rest


def latin1(text: str) -> str:
    """Text the core font can draw: Latin-1 kept, Cyrillic transliterated, accents
    stripped to their letter, anything else "?". Never raises."""
    out: list[str] = []
    for ch in text:
        if ch in "\n\t" or (ch >= " " and ord(ch) < 256 and not 0x7F <= ord(ch) < 0xA0):
            out.append(ch)
            continue
        low = ch.lower()
        if low in _CYRILLIC:
            t = _CYRILLIC[low]
            out.append(t.capitalize() if ch != low else t)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base if base and base.isprintable() else "?")
    return "".join(out)


class _Doc(FPDF):
    title_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, latin1(_("Confidential: safeguarding. %(title)s. Page %(page)s", title=self.title_text,
                                 page=self.page_no())),
                  align="C")


def render(pseudonym: str, entries: Sequence[Entry], *, exported_by: str) -> bytes:
    doc = _Doc(format="A4")
    doc.title_text = latin1(_("Chronology of %(name)s", name=pseudonym))
    doc.set_title(doc.title_text)
    doc.set_author(latin1(_("Class2Class safeguarding desk")))
    doc.set_creator("c2c-safety")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_page()
    width = doc.epw
    doc.set_font("Helvetica", "B", 16)
    doc.multi_cell(width, 8, doc.title_text, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=9)
    doc.multi_cell(width, 5, latin1(
        ngettext("Exported %(when)s UTC by %(who)s. %(num)d entries, oldest first. Confidential: for the child's "
                 "safeguarding only (a case conference or the municipality); do not forward.",
                 "Exported %(when)s UTC by %(who)s. %(num)d entries, oldest first. Confidential: for the child's "
                 "safeguarding only (a case conference or the municipality); do not forward.",
                 len(entries), when=utcnow().strftime("%Y-%m-%d %H:%M"), who=exported_by)),
        new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    for e in entries:
        doc.set_font("Helvetica", "B", 10)
        refs = " ".join(x for x in (_("item %(id)s", id=e.item_id) if e.item_id else "",
                                    _("referral %(id)s", id=e.referral_id) if e.referral_id else "") if x)
        doc.multi_cell(width, 5, latin1(f"{e.at.strftime('%Y-%m-%d %H:%M')} UTC - {e.kind}"
                                        + (f" ({refs})" if refs else "")), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", size=10)
        doc.multi_cell(width, 5, latin1(e.summary), new_x="LMARGIN", new_y="NEXT")
        if e.detail:
            doc.set_font("Helvetica", "I", 9)
            detail = e.detail if len(e.detail) <= MAX_DETAIL else e.detail[:MAX_DETAIL] + " [...]"
            doc.multi_cell(width, 4.5, latin1(detail), new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    if not entries:
        doc.multi_cell(width, 5, latin1(_("Nothing recorded about this child.")), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def record_export(session: Session, pseudonym: str, entries: int, size: int, *, actor: User) -> None:
    audit.record(session, "safeguarding.chronology_exported", actor=actor, target_type="child",
                 target_id=pseudonym[:64], details={"entries": entries, "bytes": size, "format": "pdf"})
