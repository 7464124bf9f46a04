"""Hash lists of known abuse imagery, imported by an operator, and what they call for.

A list comes from a hotline, an industry hash-sharing programme or the desk's own preserved
evidence. The desk never holds the images behind a list: only their PDQ hashes (256-bit
perceptual hashes, matched by Hamming distance) and, where given, SHA-256 of the exact file.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ListAction(enum.StrEnum):
    """What a match against a list calls for. Every match still goes before a person."""

    # Known child sexual abuse material: an urgent safeguarding referral, the image hidden from
    # everyone but a named role, a request to the platform to hide it, evidence preserved and
    # a hotline report record prepared.
    CHILD_ABUSE = "child_abuse"
    # Other known harmful imagery (e.g. terrorist content): raises the item's priority and
    # says why; the moderator decides.
    REVIEW = "review"


class HashList(Base):
    __tablename__ = "media_hash_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Who gave it (an organisation's name, e.g. a national hotline); shown with every match.
    source: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListedHash(Base):
    __tablename__ = "media_listed_hashes"
    __table_args__ = (
        UniqueConstraint("list_id", "pdq"),
        Index("ix_media_listed_hashes_sha256", "sha256", postgresql_where=text("sha256 IS NOT NULL"),
              sqlite_where=text("sha256 IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("media_hash_lists.id", ondelete="CASCADE"))
    pdq: Mapped[bytes] = mapped_column(LargeBinary(32))
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    # The list's own id for the entry, so a match can be reported back by reference.
    external_id: Mapped[str] = mapped_column(String(120), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
