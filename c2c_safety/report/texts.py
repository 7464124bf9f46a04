"""What the reporter pages call the desk's choices, and the advice a child gets.

Each text is an English gettext msgid marked with `N_` (so `make messages` extracts it into
the `public` domain) and translated where it is shown: templates call `_(labels...)`, and
errors are (msgid, values) pairs that `say` translates (core/locale.py).
"""

from __future__ import annotations

from typing import Final

from c2c_safety.core.locale import N_

CATEGORIES: Final = {
    "child_mean": N_("Someone is being mean to me"),
    "child_sexual": N_("Someone asked me for photos or sent me sexual things"),
    "child_friend": N_("I'm worried about a friend"),
    "child_adult": N_("I want to tell about an adult"),
    "safeguarding_minor": N_("A child or young person may be at risk (a safeguarding concern)"),
    "ethical": N_("Something unethical or wrong (a general ethical concern)"),
    "team_member": N_("Someone who works at Class2Class"),
    "ceo": N_("The CEO of Class2Class"),
    "other": N_("Something else"),
}
ABOUT: Final = {"me": N_("Yes, it is about me"), "someone_else": N_("No, it is about someone else")}
AGE_BANDS: Final = {"under_10": N_("Under 10"), "10_12": N_("10–12"), "13_15": N_("13–15"),
                    "16_17": N_("16–17"), "adult": N_("18 or older")}
MEETINGS: Final = {"meeting": N_("I would like a meeting"),
                   "oral": N_("I would like to tell it orally (by phone or video)")}
CASE_STATUSES: Final = {
    "received": N_("Received"), "acknowledged": N_("Received and acknowledged"),
    "investigating": N_("We are looking into it"), "feedback_given": N_("We have given feedback"),
    "closed": N_("Closed"),
}
# What a child can do right now, by what they chose (issue 21.3): shown on the receipt.
ADVICE: Final = {
    "child_sexual": (
        N_("Stop replying. You do not have to answer, even if they threaten you."),
        N_("Do not pay and do not send more pictures. Paying does not make it stop."),
        N_("Keep screenshots of the chat and the name they use, but do not send the pictures to anyone."),
        N_("Block them and report them on the app where it happened."),
        N_("Tell a grown-up you trust. It is not your fault, and you are not in trouble."),
        N_("If a picture of you is online, a helpline can help get it taken down."),
    ),
    "child_mean": (
        N_("You do not have to answer. Try not to reply when you are upset."),
        N_("Keep screenshots of what they wrote."),
        N_("Block them if you can."),
        N_("Tell a grown-up you trust, like a parent or a teacher."),
        N_("It is not your fault. Nobody should be mean to you."),
    ),
    "child_friend": (
        N_("You are a good friend for telling us."),
        N_("Tell a grown-up you trust what you told us."),
        N_("If your friend is in danger right now, call 112."),
        N_("You do not have to fix it alone."),
    ),
    "child_adult": (
        N_("You did the right thing. You are not in trouble."),
        N_("Stay away from the adult if you can, and do not meet them alone."),
        N_("Tell a grown-up you trust and feel safe with."),
        N_("If you are in danger right now, call 112."),
    ),
    "safeguarding_minor": (
        N_("If a child is in danger right now, call 112."),
        N_("Do not confront the person or tell them about this report."),
        N_("Keep any evidence (screenshots, links), but do not share pictures of a child."),
    ),
}
# Why a file was refused, by uploads.AttachmentRejectedError.code.
FILE_REFUSALS: Final = {
    "too_large": N_("%(name)s: the file is larger than 5 MB."),
    "bad_type": N_("%(name)s: we cannot take this kind of file. Use JPEG, PNG, GIF, WebP, PDF or plain text."),
    "bomb": N_("%(name)s: the picture is too large (too many pixels)."),
    "broken": N_("%(name)s: the file seems damaged and could not be opened."),
    "pdf_active": N_("%(name)s: the PDF holds active content (such as scripts) that we cannot take. "
                     "Attach a screenshot instead."),
    "too_many": N_("You can attach at most 5 files."),
    "empty": N_("%(name)s: the file is empty."),
    "busy": N_("%(name)s: many files are being checked right now, so we could not check this one. Your report "
               "was received without it; you can add it later with your receipt code."),
    "too_complex": N_("%(name)s: this file needs too much work to check. Try a smaller picture or a screenshot."),
    "pdf_encrypted": N_("%(name)s: the PDF is protected with a password, so we cannot check it. "
                        "Attach a screenshot instead."),
    "pdf_complex": N_("%(name)s: the PDF is too large or complicated to check. Attach a screenshot instead."),
    "not_saved": N_("%(name)s: the file could not be saved just now. Your report was received without it; "
                    "you can add it later with your receipt code."),
}
ERR_CATEGORY: Final = N_("Choose what your concern is about.")
ERR_WHAT: Final = N_("Tell us what happened.")
ERR_TOO_LONG: Final = N_("Please keep this under %(max)s characters.")
ERR_MESSAGE: Final = N_("Write a message or attach a file.")
ERR_RECEIPT_FORMAT: Final = N_("A code is 7 words (an older code is 16 digits).")
ERR_RECEIPT_WRONG: Final = N_("We could not find a report with that code. Check the words and try again.")
FORM_EXPIRED: Final = N_("This form was open for a long time, so for safety we need you to send it again. Your "
                         "text is still below. Please choose your files again and press the button once more.")
ALREADY_SENT: Final = N_("This was already sent. If you reload the page within %(minutes)s minutes of sending, "
                         "you see your code again; after that, only the code you wrote down opens your report.")
RECEIPT_TITLE: Final = N_("Thank you. We have received your report.")
TOO_LARGE_TITLE: Final = N_("That was too large")
TOO_LARGE: Final = N_("What you sent was too large: together the files may be at most %(mb)s MB. Go back, "
                      "remove or shrink some files and send again – your text is usually still in the form.")
CROSS_SITE_TITLE: Final = N_("Not allowed")
FILE_GONE: Final = N_("That file is no longer available.")
CROSS_SITE: Final = N_("This form can only be sent from this website.")


def labels() -> dict[str, object]:
    """Everything above that a template looks up by a value (a category, a status)."""
    return {"categories": CATEGORIES, "about": ABOUT, "age_bands": AGE_BANDS, "meetings": MEETINGS,
            "case_statuses": CASE_STATUSES, "advice": ADVICE}
