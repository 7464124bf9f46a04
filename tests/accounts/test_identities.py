"""Identities that cannot be confused (issue 20, item 5): the look-alike accounts as reported
(`reviewer@demo.c2c` with a zero-width space, with a Cyrillic "е", with a right-to-left
override) are refused, and so is every other invisible character or look-alike of an existing
account; real names in other alphabets are not."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2c_safety.accounts import identity
from c2c_safety.accounts import users as accounts
from c2c_safety.accounts.users import AccountError
from c2c_safety.core.db import new_session

REVIEWER = "reviewer@demo.c2c"


@pytest.fixture()
def s(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        session = new_session(app)
        accounts.create_user(session, REVIEWER, "prop-password-123", ["independent_reviewer"],
                             display_name="Rita Reviewer")
        session.commit()
        yield session
        session.rollback()
        session.close()


LOOK_ALIKES = [
    "reviewer@demo.c2c\u200b",  # zero-width space at the end
    "rev\u200biewer@demo.c2c",  # ... inside
    "reviewer\u2060@demo.c2c",  # word joiner
    "revi\u0435wer@demo.c2c",  # Cyrillic е
    "r\u0435vi\u0435w\u0435r@d\u0435mo.c2c",  # several
    "\u202ereviewer@demo.c2c",  # right-to-left override
    "reviewer@demo.c2c\u200f",  # right-to-left mark
    "reviewer@demo.c2c\u00ad",  # soft hyphen
    "\uff52\uff45\uff56\uff49\uff45\uff57\uff45\uff52@demo.c2c",  # full-width: NFKC makes it the same address
    "REVIEWER@DEMO.C2C",
    "rev1ewer@demo.c2c".replace("1", "i").replace("i", "\u0456", 1),  # Cyrillic і
    "reviеwеr@demo.с2c",  # Cyrillic е and с
]


@pytest.mark.parametrize("email", LOOK_ALIKES)
def test_look_alikes_of_an_existing_address_are_refused(s, email):
    with pytest.raises(AccountError):
        accounts.create_user(s, email, "prop-password-123", ["moderator"], display_name="Mallory")
    s.rollback()


@pytest.mark.parametrize("name", ["Rita\u200b Reviewer", "Rita Revi\u0435wer", "\u202eRita Reviewer",
                                  "rita reviewer", "Rita  Reviewer", "Rit\u0430 Reviewer"])
def test_look_alike_names_are_refused(s, name):
    with pytest.raises(AccountError):
        accounts.create_user(s, "someone.else@demo.c2c", "prop-password-123", ["moderator"], display_name=name)
    s.rollback()


@pytest.mark.parametrize(("email", "name"), [
    ("soren@demo.c2c", "Søren Ødegård"), ("zoe@demo.c2c", "Zoë"), ("ivan@demo.c2c", "Иван Петров"),
    ("jose@demo.c2c", "José Ñúñez"), ("aoife@demo.c2c", "Aoife Ní Bhriain"), ("mei@demo.c2c", "李美"),
    ("soren.odegard@demo.c2c", "Søren Ødegård-Hansen"),
])
def test_real_names_in_other_alphabets_are_accepted(s, email, name):
    user = accounts.create_user(s, email, "prop-password-123", ["moderator"], display_name=name)
    assert user.display_name == name and user.email == email


def test_invisible_characters_are_refused_even_without_a_look_alike(s):
    for email in ("new\u200bperson@demo.c2c", "new person@demo.c2c", "new\u202eperson@demo.c2c",
                  "new\x00person@demo.c2c", "new\u2028person@demo.c2c"):
        with pytest.raises(AccountError):
            accounts.create_user(s, email, "prop-password-123", ["moderator"])
        s.rollback()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202b",
                                 "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
                                 "\u200f", "\u00ad", "\u061c", "\u180e"]), min_size=1, max_size=3),
       st.integers(0, len(REVIEWER)))
def test_any_invisible_or_direction_character_anywhere_is_refused(s, chars, at):
    """A property: wherever a format or direction character is put, the address is refused."""
    email = REVIEWER[:at] + "".join(chars) + REVIEWER[at:]
    with pytest.raises(identity.IdentityError):
        identity.check_email(s, email)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, len(REVIEWER) - 1), min_size=1, max_size=4, unique=True))
def test_any_cyrillic_or_greek_look_alike_letter_is_refused(s, positions):
    swaps = {"e": "\u0435", "o": "\u043e", "c": "\u0441", "r": "\u0433", "i": "\u0456", "a": "\u0430",
             "m": "\u043c", "d": "\u0501", "v": "\u03bd", "w": "\u051d"}
    chars = list(REVIEWER)
    changed = False
    for p in positions:
        if chars[p] in swaps:
            chars[p], changed = swaps[chars[p]], True
    if not changed:
        return
    with pytest.raises(identity.IdentityError):
        identity.check_email(s, "".join(chars))
