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
from c2c_safety.review import conversations as conv

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


MessageText = Annotated[str, AfterValidator(_no_nul),
                        Field(max_length=conv.MAX_MESSAGE_TEXT, json_schema_extra=NO_NUL)]


def _distinct(bands: list[str]) -> list[str]:
    if len(set(bands)) != len(bands):
        raise ValueError("must not name an age band twice")
    return bands


class ConversationAuthorIn(_Strict):
    id: PlatformId = Field(description="The message author's pseudonymous platform id")
    role: AuthorRole
    age_band: AgeBand


class ConversationMessageIn(_Strict):
    id: PlatformId | None = Field(default=None, description="The platform's id of this message, if any")
    author: ConversationAuthorIn
    sent_at: Timestamp
    text: MessageText = Field(default="", description=f"At most {conv.MAX_MESSAGE_TEXT} characters")


class ConversationIn(_Strict):
    """The conversation around the flagged message (chat messages and comments only)."""

    kind: Literal["one_to_one", "group", "comment_thread"] = Field(
        description="one_to_one or group (as context.chat_kind) for a chat message; comment_thread for a comment")
    participant_age_bands: Annotated[list[AgeBand], AfterValidator(_distinct)] = Field(
        min_length=1, max_length=4, json_schema_extra={"uniqueItems": True},
        description="Every age band present in the conversation, the flagged message's author included")
    participant_count: Annotated[int, Field(ge=2, le=100_000)] | None = Field(
        default=None, description="How many people are in it, if known (2 for one_to_one)")
    before: list[ConversationMessageIn] = Field(
        default_factory=list, max_length=conv.MAX_BEFORE,
        description=f"Up to {conv.MAX_BEFORE} messages before the flagged one, oldest first")
    after: list[ConversationMessageIn] = Field(
        default_factory=list, max_length=conv.MAX_AFTER,
        description=f"Late flags: up to {conv.MAX_AFTER} messages after the flagged one and before "
                    "the flag was raised, oldest first")


CONVERSATION_TYPES = ("chat_message", "comment")

_CONVERSATION_RULE: dict[str, Any] = {
    "if": {"required": ["content"],
           "properties": {"content": {"required": ["type"],
                                      "properties": {"type": {"enum": list(CONVERSATION_TYPES)}}}}},
    "then": {},
    "else": {"properties": {"conversation": {"type": "null"}}},
}

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

    model_config = ConfigDict(strict=True, extra="forbid",
                              json_schema_extra={"allOf": [_CHAT_RULE, _CONVERSATION_RULE]})

    content: ContentIn
    author: AuthorIn
    context: ContextIn = Field(default_factory=ContextIn)
    flag: FlagDetailsIn
    conversation: ConversationIn | None = Field(
        default=None, description="Optional: the conversation around a flagged chat message or comment")

    def cross_field_errors(self) -> list[dict[str, str]]:
        """Rules between fields (also stated in the schema's allOf and in docs/api.md)."""
        if self.content.type == "chat_message" and self.context.chat_kind is None:
            return [{"field": "context.chat_kind", "message": "Field required when content.type is chat_message"}]
        if self.content.type != "chat_message" and self.context.chat_kind is not None:
            return [{"field": "context.chat_kind", "message": "Only allowed when content.type is chat_message"}]
        return conversation_errors(self)

    def to_delivery(self, idempotency_key: str | None) -> FlagDelivery:
        c, a, x, f = self.content, self.author, self.context, self.flag
        return FlagDelivery(
            content_type=c.type, platform_content_id=c.id, text=c.text, media_urls=list(c.media_urls),
            posted_at=c.posted_at, author_pseudonym=a.id, author_age_band=a.age_band,
            author_role=a.role, project_id=x.project_id, chat_kind=x.chat_kind,
            audience_min_age_band=x.audience_min_age_band, school_country=x.school_country,
            language_hint=x.language, flagger_pseudonym=f.flagger.id, flagger_role=f.flagger.role,
            reason_category=f.reason, comment=f.comment, flagged_at=f.flagged_at,
            idempotency_key=idempotency_key, conversation=_conversation(self.conversation),
        )


def _message(m: ConversationMessageIn) -> conv.MessageIn:
    return conv.MessageIn(author_pseudonym=m.author.id, author_role=m.author.role,
                          author_age_band=m.author.age_band, sent_at=m.sent_at, text=m.text,
                          platform_message_id=m.id)


def _conversation(c: ConversationIn | None) -> conv.ConversationIn | None:
    if c is None:
        return None
    return conv.ConversationIn(kind=c.kind, participant_age_bands=tuple(c.participant_age_bands),
                               participant_count=c.participant_count,
                               before=tuple(_message(m) for m in c.before),
                               after=tuple(_message(m) for m in c.after))


def _order_errors(side: str, messages: list[ConversationMessageIn], flag: FlagIn) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    posted, flagged = flag.content.posted_at, flag.flag.flagged_at
    for i, m in enumerate(messages):
        where = f"conversation.{side}[{i}]"
        if i and m.sent_at < messages[i - 1].sent_at:
            out.append({"field": f"{where}.sent_at", "message": "messages must be in time order, oldest first"})
        if posted is not None and side == "before" and m.sent_at > posted:
            out.append({"field": f"{where}.sent_at", "message": "is later than content.posted_at; "
                        "a message sent after the flagged one belongs in conversation.after"})
        if posted is not None and side == "after" and m.sent_at < posted:
            out.append({"field": f"{where}.sent_at", "message": "is earlier than content.posted_at; "
                        "a message sent before the flagged one belongs in conversation.before"})
        if m.sent_at > flagged:
            out.append({"field": f"{where}.sent_at", "message": "is later than flag.flagged_at: send the "
                        "conversation as the flagger saw it"})
        if m.id is not None and m.id == flag.content.id:
            out.append({"field": f"{where}.id", "message": "is the flagged message itself (content.id)"})
    return out


def conversation_errors(flag: FlagIn) -> list[dict[str, str]]:
    """The conversation's rules between fields; one error per problem, with its field path."""
    c = flag.conversation
    if c is None:
        return []
    if flag.content.type not in CONVERSATION_TYPES:
        return [{"field": "conversation", "message": "Only allowed when content.type is chat_message or comment"}]
    out: list[dict[str, str]] = []
    expected = flag.context.chat_kind if flag.content.type == "chat_message" else "comment_thread"
    if c.kind != expected:
        out.append({"field": "conversation.kind", "message": f"must be {expected} for this content "
                    "(context.chat_kind for a chat message, comment_thread for a comment)"})
    out += _order_errors("before", c.before, flag) + _order_errors("after", c.after, flag)
    if c.before and c.after and c.after[0].sent_at < c.before[-1].sent_at:
        out.append({"field": "conversation.after[0].sent_at", "message": "is earlier than the last message "
                    "in conversation.before"})
    messages = [*c.before, *c.after]
    ids = [m.id for m in messages if m.id is not None]
    if len(ids) != len(set(ids)):
        out.append({"field": "conversation", "message": "a message id appears twice"})
    bands = {flag.author.age_band, *(m.author.age_band for m in messages)}
    missing = sorted(bands - set(c.participant_age_bands), key=conv.AGE_ORDER.index)
    if missing:
        out.append({"field": "conversation.participant_age_bands", "message": "must include the age band "
                    f"of every author, the flagged message's too (missing: {', '.join(missing)})"})
    people = {flag.author.id, *(m.author.id for m in messages)}
    if c.kind == "one_to_one" and (len(people) > 2 or (c.participant_count or 2) != 2):
        out.append({"field": "conversation", "message": "a one-to-one conversation has exactly two people"})
    elif c.participant_count is not None and c.participant_count < len(people):
        out.append({"field": "conversation.participant_count", "message": f"is lower than the {len(people)} "
                    "different authors in the conversation"})
    return out


class FlagAccepted(_Strict):
    item_id: int
    status_url: str
    duplicate: bool = Field(description="True when this delivery repeated one already received")
    flag_count: int


class MediaAccepted(_Strict):
    media_id: int
    item_id: int
    status: Literal["pending", "stored", "refused", "failed"] = Field(
        description="pending until a worker has checked, hashed and matched it")
    duplicate: bool = Field(description="True when this very image was already sent for this item")


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
