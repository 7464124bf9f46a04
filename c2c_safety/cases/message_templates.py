"""Starting points for the handler's messages to the reporter (issue 22.8).

A template only fills the message box (`/cases/<id>?template=…`); the handler edits it and
sends it like any other message. Plain words, no names, nothing about the case itself: the
reporter may be a child reading on a phone.
"""

from __future__ import annotations

TEMPLATES: dict[str, tuple[str, str]] = {
    "acknowledgement": (
        "Acknowledgement",
        "Thank you for telling us. We have received your report and a person on our safety team is "
        "looking at it. You do not need to do anything else now. You can come back with your receipt "
        "code at any time to read our messages or to add something.",
    ),
    "information": (
        "Request for information",
        "Thank you again for your report. To help us look into it, could you tell us a little more? "
        "For example: when it happened, where on the platform, and who else saw it. Only share what "
        "you feel safe sharing. You can answer here with your receipt code.",
    ),
    "feedback": (
        "Feedback",
        "We have looked into what you told us. Here is what we did and what happens next: [write what "
        "was done or is planned]. Thank you for speaking up. If anything changes or happens again, you "
        "can write to us here with your receipt code.",
    ),
}


def text(key: str | None) -> str | None:
    """The template's text, or None for no (or an unknown) template."""
    found = TEMPLATES.get(key or "")
    return found[1] if found else None
