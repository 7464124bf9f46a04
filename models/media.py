"""Hash lists of known abuse imagery, imported by an operator, and what they call for.

A list comes from a hotline, an industry hash-sharing programme or the desk's own preserved
evidence. The desk never holds the images behind a list: only their PDQ hashes (256-bit
perceptual hashes, matched by Hamming distance) and, where given, SHA-256 of the exact file.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
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


class MediaStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be fetched (or to be retried)
    STORED = "stored"  # fetched, re-encoded without metadata, sealed, hashed
    REFUSED = "refused"  # will never be stored: not an image, too large, a bomb, host not allowed
    FAILED = "failed"  # the fetch kept failing (timeouts, errors) and the retries ran out


class MediaObject(Base):
    """One image of a flagged item, as the desk holds it.

    The platform's address of the image is sealed (it can point at a child's upload); the
    image itself is stored only re-encoded without metadata and sealed like report
    attachments, with a blurred greyscale preview beside it. A hash-list match hides it from
    everyone but the roles that may view matched imagery."""

    __tablename__ = "media_objects"
    __table_args__ = (
        UniqueConstraint("item_id", "url_key"),
        Index("ix_media_objects_due", "status", "next_attempt_at"),
        Index("ix_media_objects_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)  # order on the item page
    url_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # A keyed hash of the address, so one address is fetched once per item without storing it in clear.
    url_key: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(10), default="fetched")  # fetched | uploaded
    status: Mapped[str] = mapped_column(String(10), default=MediaStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    error: Mapped[str | None] = mapped_column(String(40), default=None)
    media_type: Mapped[str | None] = mapped_column(String(20), default=None)
    width: Mapped[int | None] = mapped_column(default=None)
    height: Mapped[int | None] = mapped_column(default=None)
    blob_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    preview_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    pdq: Mapped[bytes | None] = mapped_column(LargeBinary(32), default=None)
    pdq_quality: Mapped[int | None] = mapped_column(default=None)
    # A match against a hash list (the nearest), kept with the list's own reference.
    match_list_id: Mapped[int | None] = mapped_column(ForeignKey("media_hash_lists.id", ondelete="SET NULL"),
                                                      default=None)
    match_distance: Mapped[int | None] = mapped_column(default=None)
    match_reference: Mapped[str | None] = mapped_column(String(120), default=None)
    # Hidden from everyone by default (a child-abuse list matched): only a named role may view it.
    restricted: Mapped[bool] = mapped_column(default=False)
    # The same picture already on another item (identical bytes, or PDQ within the threshold).
    same_as_id: Mapped[int | None] = mapped_column(ForeignKey("media_objects.id", ondelete="SET NULL"),
                                                   default=None)
    # The local image model's nudity score (0..1, the most confident exposed-body detection)
    # and which model said so (workers/image_model.py). Assistive only, like text scores.
    image_score: Mapped[float | None] = mapped_column(default=None)
    image_model: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(default=None)
    anonymised_at: Mapped[datetime | None] = mapped_column(default=None)


class MediaView(Base):
    """Someone looked at an image on purpose (one image at a time; matched images need the
    named role and a second confirmation). Counted in the viewer's exposure figures."""

    __tablename__ = "media_views"
    __table_args__ = (Index("ix_media_views_media_user", "media_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_objects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    restricted: Mapped[bool] = mapped_column(default=False)


class ReportImage(Base):
    """An image a reporter attached to an anonymous report (a case file's attachment), hashed
    and matched against the active lists exactly like a flag's image. The attachment itself
    stays where it is (sealed in the case file); this row holds its hashes and what they matched.
    A child-abuse match restricts the attachment to the roles that may view matched imagery."""

    __tablename__ = "media_report_images"
    __table_args__ = (
        Index("ix_media_report_images_due", "status", "next_attempt_at"),
        Index("ix_media_report_images_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=MediaStatus.PENDING)  # pending | stored | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    error: Mapped[str | None] = mapped_column(String(40), default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    pdq: Mapped[bytes | None] = mapped_column(LargeBinary(32), default=None)
    pdq_quality: Mapped[int | None] = mapped_column(default=None)
    match_list_id: Mapped[int | None] = mapped_column(ForeignKey("media_hash_lists.id", ondelete="SET NULL"),
                                                      default=None)
    match_distance: Mapped[int | None] = mapped_column(default=None)
    match_reference: Mapped[str | None] = mapped_column(String(120), default=None)
    restricted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hashed_at: Mapped[datetime | None] = mapped_column(default=None)


class ReportImageView(Base):
    """The safeguarding lead opened a restricted report attachment on purpose (confirmed, with a reason)."""

    __tablename__ = "media_report_image_views"
    __table_args__ = (Index("ix_media_report_image_views_image_user", "report_image_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_image_id: Mapped[int] = mapped_column(ForeignKey("media_report_images.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class HotlineRecord(Base):
    """What the safeguarding lead gives a hotline about known abuse imagery on a referral: the
    desk's reference, when it was prepared, and per matched image its hashes (PDQ and SHA-256),
    the list and the list's own reference. Never the image. Prepared by the match; nothing is
    sent automatically: the lead sends it and records the hotline's reference here."""

    __tablename__ = "media_hotline_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_referrals.id", ondelete="CASCADE"),
                                             unique=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One entry per matched image: {"image": "flag image 3" | "report attachment 5", "pdq": hex,
    # "sha256": hex, "list": name, "source": who gave it, "list_reference": …, "distance": bits, "at": iso}.
    entries: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    hotline: Mapped[str | None] = mapped_column(String(120), default=None)
    hotline_reference: Mapped[str | None] = mapped_column(String(120), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
