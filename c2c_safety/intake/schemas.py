"""The JSON the token API accepts and returns, as pydantic models.

The same models validate requests and produce the OpenAPI document, so the document says
exactly what the API accepts. Strict mode: a number is not a string, a string is not a
timestamp, unknown fields are refused (a misspelt field must not be silently dropped).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from c2c_safety.intake.flags import FlagDelivery

MAX_TEXT = 20_000
MAX_COMMENT = 2_000
MAX_MEDIA = 10
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(hours=24)

ContentType = Literal["post", "comment", "chat_message", "profile", "project"]
AgeBand = Literal["under13", "13to15", "16plus", "adult"]
AuthorRole = Literal["student", "teacher"]
FlaggerRole = Literal["student", "teacher", "parent", "staff", "system"]
Reason = Literal[
    "bullying", "hate", "threat", "sexual", "grooming", "self_harm", "spam", "privacy",
    "safeguarding", "other",
]
ChatKind = Literal["group", "one_to_one"]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail at the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


RFC3339 = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
_RFC3339 = re.compile(RFC3339)


def _rfc3339(value: Any) -> Any:
    # Exactly what the schema's pattern says: a full date and time with an offset (no naive
    # times, no bare dates, no Unix numbers passed as strings).
    if not isinstance(value, str):
        return value  # the strict datetime check refuses it with "Input should be a valid datetime"
    if not _RFC3339.match(value):
        raise ValueError("must be an ISO 8601 / RFC 3339 date-time with a time zone, "
                         "e.g. 2025-03-01T09:00:00+01:00 or 2025-03-01T08:00:00Z")
    return datetime.fromisoformat(value)  # ValueError (e.g. month 13) becomes a field error


def _plausible_time(value: datetime) -> datetime:
    try:
        plausible = EARLIEST <= value <= datetime.now(UTC) + CLOCK_SKEW
    except OverflowError:  # year 1 with a positive offset is before year 1 in UTC
        plausible = False
    if not plausible:
        raise ValueError("must lie between 2000-01-01 and 24 hours from now")
    return value.astimezone(UTC)


NO_NUL = {"pattern": "^[^\\u0000]*$"}
PlatformId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@/-]+$",
                                  description="An opaque platform id: letters, digits and . _ : @ / -")]
Text = Annotated[str, AfterValidator(_no_nul), Field(max_length=MAX_TEXT, json_schema_extra=NO_NUL)]
Comment = Annotated[str, AfterValidator(_no_nul),
                    Field(max_length=MAX_COMMENT, json_schema_extra=NO_NUL)]
MediaUrl = Annotated[str, Field(max_length=2048, pattern=r"^https?://[^\s]+$")]
Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_plausible_time),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339,
                    "description": "RFC 3339 / ISO 8601 with Z or an offset; naive times are refused"}),
]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ContentIn(_Strict):
    id: PlatformId
    type: ContentType
    text: Text = Field(default="", description=f"Snapshot of the text, at most {MAX_TEXT} characters")
    media_urls: list[MediaUrl] = Field(
        default_factory=list, max_length=MAX_MEDIA,
        description="References only: the desk never fetches them")
    posted_at: Timestamp | None = None


class AuthorIn(_Strict):
    id: PlatformId = Field(description="The author's pseudonymous platform id")
    age_band: AgeBand
    role: AuthorRole


class ContextIn(_Strict):
    project_id: PlatformId | None = None
    chat_kind: ChatKind | None = Field(
        default=None, description="Required when content.type is chat_message; otherwise absent or null")
    audience_min_age_band: AgeBand | None = Field(
        default=None, description="The youngest age band of the audience, if known")
    school_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166-1 alpha-2, upper case")
    language: Annotated[str, Field(max_length=12, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] | None = (
        Field(default=None, description="BCP 47 tag, e.g. da or en-GB"))


class FlaggerIn(_Strict):
    id: PlatformId = Field(description="The flagger's pseudonymous platform id")
    role: FlaggerRole


class FlagDetailsIn(_Strict):
    flagger: FlaggerIn
    reason: Reason
    comment: Comment = ""
    flagged_at: Timestamp


_CHAT_RULE: dict[str, Any] = {
    "if": {"required": ["content"],
           "properties": {"content": {"required": ["type"], "properties": {"type": {"const": "chat_message"}}}}},
    "then": {"required": ["context"],
             "properties": {"context": {"required": ["chat_kind"],
                                        "properties": {"chat_kind": {"type": "string"}}}}},
    "else": {"properties": {"context": {"properties": {"chat_kind": {"type": "null"}}}}},
}


class FlagIn(_Strict):
    """A flag raised on the platform about one piece of content."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"allOf": [_CHAT_RULE]})

    content: ContentIn
    author: AuthorIn
    context: ContextIn = Field(default_factory=ContextIn)
    flag: FlagDetailsIn

    def cross_field_errors(self) -> list[dict[str, str]]:
        """Rules between fields (also stated in the schema's allOf)."""
        if self.content.type == "chat_message" and self.context.chat_kind is None:
            return [{"field": "context.chat_kind", "message": "Field required when content.type is chat_message"}]
        if self.content.type != "chat_message" and self.context.chat_kind is not None:
            return [{"field": "context.chat_kind", "message": "Only allowed when content.type is chat_message"}]
        return []

    def to_delivery(self, idempotency_key: str | None) -> FlagDelivery:
        c, a, x, f = self.content, self.author, self.context, self.flag
        return FlagDelivery(
            content_type=c.type, platform_content_id=c.id, text=c.text, media_urls=list(c.media_urls),
            posted_at=c.posted_at, author_pseudonym=a.id, author_age_band=a.age_band,
            author_role=a.role, project_id=x.project_id, chat_kind=x.chat_kind,
            audience_min_age_band=x.audience_min_age_band, school_country=x.school_country,
            language_hint=x.language, flagger_pseudonym=f.flagger.id, flagger_role=f.flagger.role,
            reason_category=f.reason, comment=f.comment, flagged_at=f.flagged_at,
            idempotency_key=idempotency_key,
        )


class FlagAccepted(_Strict):
    item_id: int
    status_url: str
    duplicate: bool = Field(description="True when this delivery repeated one already received")
    flag_count: int


class ItemStatusOut(_Strict):
    item_id: int
    status: Literal["open", "decided", "appealed", "closed"]
    flag_count: int
    received_at: datetime = Field(description="When the desk received the first flag")
    last_flagged_at: datetime
    decided_at: datetime | None


class FieldError(_Strict):
    field: str = Field(description="Dotted path of the field, e.g. author.age_band or content.media_urls[2]")
    message: str


class ErrorOut(_Strict):
    error: str
    message: str = ""
    errors: list[FieldError] | None = None
    scope: str | None = None


def field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(body)"
