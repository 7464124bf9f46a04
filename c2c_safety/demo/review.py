"""Demo data for the review desk (`make demo`): a realistic, entirely synthetic queue.

About 300 classroom-like items in English, Danish and German across every category, age
band and place; most scored by the "demo" model, some pending, some whose scoring failed;
a few decided by the demo moderator with statements of reasons (one escalated to the
safeguarding lead, one to a case handler, one under appeal); the routing rules send the
items where a minor may be at risk to the safeguarding desk. Idempotent.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import users as accounts
from c2c_safety.review import claims, decisions, policy, reveals, triage
from classifiers import CATEGORIES
from models import ApiClient, Flag, ItemScore, ReviewItem, ScoreStatus, User, utcnow

PREFIX = "demo-"
N_ITEMS = 300
LIVE_LANGUAGES = ("da", "en", "de", "es")

# (category, flag reason) -> texts by language. Synthetic; no real user content.
TEXTS: dict[str, dict[str, list[str]]] = {
    "harassment": {
        "en": ["Nobody in our group wants to work with you, just leave the project.",
               "Your presentation was the worst, everyone laughed at you."],
        "da": ["Du er så dum, ingen gider arbejde sammen med dig.", "Alle griner af din video, ha ha."],
        "de": ["Du bist so peinlich, keiner will mit dir in der Gruppe sein."],
        "es": ["Eres tan tonto, nadie quiere trabajar contigo en el grupo."],
    },
    "hate": {
        "en": ["People like you do not belong in our class."],
        "da": ["Folk som dig hører ikke til her."],
        "de": ["Leute wie du gehören nicht in unsere Klasse."],
        "es": ["La gente como tú no pertenece a nuestra clase."],
    },
    "threat": {
        "en": ["If you tell the teacher I will get you after school."],
        "da": ["Hvis du siger det til læreren, får du bank efter skole."],
        "de": ["Wenn du es dem Lehrer sagst, kriegst du nach der Schule Ärger."],
        "es": ["Si se lo dices al profe, te voy a pegar después del colegio."],
    },
    "sexual": {
        "en": ["Send me a photo of you in your swimsuit."],
        "da": ["Send et billede af dig i badetøj."],
        "de": ["Schick mir ein Foto von dir im Badeanzug."],
        "es": ["Mándame una foto tuya en bañador."],
    },
    "grooming": {
        "en": ["You are so mature for your age. Let's talk on another app, don't tell your parents."],
        "da": ["Du er så moden af din alder. Lad os skrive på en anden app, sig det ikke til nogen."],
        "de": ["Du bist so reif für dein Alter. Lass uns woanders schreiben, sag es niemandem."],
        "es": ["Eres muy madura para tu edad. Hablemos en otra app, no se lo digas a nadie."],
    },
    "self_harm": {
        "en": ["I don't want to be here anymore, I keep thinking about hurting myself."],
        "da": ["Jeg har ikke lyst til at være her mere, jeg tænker på at gøre mig selv fortræd."],
        "de": ["Ich will nicht mehr, ich denke daran, mir wehzutun."],
        "es": ["Ya no quiero estar aquí, sigo pensando en hacerme daño."],
    },
    "profanity": {
        "en": ["This project is so damn boring, what the hell."],
        "da": ["Det her projekt er pisse kedeligt."],
        "de": ["Dieses Projekt ist verdammt langweilig."],
        "es": ["Este proyecto es una mierda de aburrido."],
    },
    "none": {
        "en": ["Our class planted trees today for the climate project!", "Can someone share the poster template?"],
        "da": ["Vi har plantet træer i dag til klimaprojektet!", "Hvem vil lave plakaten med mig?"],
        "de": ["Wir haben heute Bäume für das Klimaprojekt gepflanzt!"],
        "es": ["¡Hoy hemos plantado árboles para el proyecto del clima!", "Hola, ¿qué tal?"],
    },
}
REASON_FOR = {"harassment": "bullying", "hate": "hate", "threat": "threat", "sexual": "sexual",
              "grooming": "grooming", "self_harm": "self_harm", "profanity": "other", "none": "other"}
WEIGHTS = {"harassment": 30, "hate": 8, "threat": 8, "sexual": 6, "grooming": 6, "self_harm": 6,
           "profanity": 16, "none": 20}


def _scores(rng: random.Random, category: str) -> dict[str, float]:
    out = {c: round(rng.random() ** 4 * 0.3, 3) for c in CATEGORIES}
    if category in out:
        out[category] = round(0.45 + rng.random() * 0.53, 3)
    return out


def _make_item(session: Session, rng: random.Random, n: int) -> tuple[ReviewItem, str]:
    category = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    lang = rng.choice(("da", "da", "en", "de", "es"))
    # The first items of each seed are left for the real worker: `make demo` shows the
    # multilingual model scoring Danish, English, German and Spanish text (no fake scores).
    real = n <= len(LIVE_LANGUAGES) * 2
    if real:
        lang = LIVE_LANGUAGES[n % len(LIVE_LANGUAGES)]
    text = rng.choice(TEXTS[category].get(lang) or TEXTS[category]["en"])
    age = rng.choice(("under13", "13to15", "13to15", "16plus", "adult"))
    chat = rng.random() < 0.35
    chat_kind = ("one_to_one" if rng.random() < 0.35 else "group") if chat else None
    first = utcnow() - timedelta(minutes=rng.randint(5, 72 * 60))
    item = ReviewItem(
        content_type="chat_message" if chat else rng.choice(("post", "comment", "project")),
        platform_content_id=f"{PREFIX}{n}", text=text, author_pseudonym=f"demo-u-{rng.randint(1, 120)}",
        author_age_band=age, author_role="teacher" if age == "adult" else "student",
        project_id=f"demo-p-{rng.randint(1, 30)}", chat_kind=chat_kind,
        audience_min_age_band=rng.choice(("under13", "13to15", "adult")) if chat_kind else None,
        school_country={"da": "DK", "de": "DE", "es": "ES", "en": rng.choice(("DK", "SE", "NO"))}[lang],
        language_hint=lang, first_flagged_at=first, last_flagged_at=first, created_at=first,
    )
    session.add(item)
    session.flush()
    n_flags = 1 + int(rng.random() ** 3 * 4)
    flaggers = rng.sample(range(121, 400), n_flags)  # independent flaggers: one flag each
    for k in range(n_flags):
        session.add(Flag(item_id=item.id, flagger_pseudonym=f"demo-u-{flaggers[k]}",
                         flagger_role=rng.choice(("student", "student", "teacher", "parent")),
                         reason_category=REASON_FOR[category], flagged_at=first + timedelta(minutes=k),
                         received_at=first + timedelta(minutes=k)))
    item.flag_count = n_flags
    if chat_kind is not None:
        _conversation(session, rng, item, category)
    state = rng.random()
    if real:
        item.score_status = ScoreStatus.PENDING
    elif state < 0.8:
        scores = _scores(rng, category)
        top = max(scores, key=lambda c: scores[c])
        reliable = lang in ("da", "en") or rng.random() < 0.5
        session.add(ItemScore(subject_type="item", subject_id=item.id, model_name="demo-classifier",
                              model_version="demo", scores=scores, language=lang,
                              language_reliable=reliable, created_at=first + timedelta(seconds=20)))
        item.score_status, item.top_category, item.top_score = ScoreStatus.SCORED, top, scores[top]
        item.language, item.language_reliable, item.score_attempts = lang, reliable, 1
    elif state < 0.92:
        item.score_status = ScoreStatus.PENDING
    else:
        item.score_status, item.score_attempts = ScoreStatus.FAILED, 3
        item.score_error = "demo: model timed out"
    session.flush()
    session.expire(item, ["flags"])
    triage.refresh(session, item)
    return item, category


# What came before a flagged chat message (synthetic): the moderator sees it as a thread.
# Who says what before the flagged message ("author": the item's author, "other": someone
# else), so the lead-in fits the item: in a grooming item the author is the one flattering
# the child, never the child (issue 22.9: demo roles contradicted the item).
LEAD_IN: dict[str, list[tuple[str, str]]] = {
    "grooming": [("author", "Hi! How was school today?"), ("other", "ok i guess. boring"),
                 ("author", "You seem really mature for your age.")],
    "sexual": [("author", "what are you doing"), ("other", "homework"),
               ("author", "I can help you with it if you want")],
    "harassment": [("other", "Who wants to present first?"), ("author", "Not with that one in the group lol"),
                   ("other", "stop it")],
}
DEFAULT_LEAD_IN = [("other", "Did everyone upload their part?"), ("author", "almost done"), ("other", "ok")]


def _conversation(session: Session, rng: random.Random, item: ReviewItem, category: str) -> None:
    """A few messages before the flagged one, between the author and one other person (a
    one-to-one chat) or two (a group). The author speaks with their own role and age band;
    the others are children (the author's peers, or the children an adult author writes to)."""
    from c2c_safety.review import conversations

    others = [f"demo-u-{rng.randint(121, 400)}" for _ in range(1 if item.chat_kind == "one_to_one" else 2)]
    band = "13to15" if item.author_age_band in ("adult", "16plus") else item.author_age_band
    lines = LEAD_IN.get(category, DEFAULT_LEAD_IN)
    before = tuple(
        conversations.MessageIn(item.author_pseudonym if who == "author" else others[i % len(others)],
                                item.author_role if who == "author" else "student",
                                item.author_age_band if who == "author" else band,
                                item.first_flagged_at - timedelta(minutes=10 - i), line)
        for i, (who, line) in enumerate(lines))
    conversations.store(session, item, conversations.ConversationIn(
        kind=item.chat_kind or "group", participant_age_bands=(band, item.author_age_band), before=before))


# (category of the item, action, reason, duration, facts)
DECISIONS = (
    ("harassment", "remove", "bullying_harassment", "permanent",
     "The post mocks a classmate's presentation in front of the group."),
    ("harassment", "restrict", "bullying_harassment", "until_review",
     "Repeated name-calling in the project chat; hidden while we check."),
    ("profanity", "warn", "inappropriate_for_age", "", "Swearing in a shared project space for 12-year-olds."),
    ("harassment", "no_violation", "other", "",
     "Friendly teasing between two classmates who know each other; nothing breaches the guidelines."),
    ("none", "no_violation", "other", "", "A question about the poster template; flagged by mistake."),
    ("hate", "remove", "hate", "permanent", "The comment says a group of people do not belong in the class."),
    ("grooming", "escalate_safeguarding", "grooming_child_safety", "",
     "Someone asks a child to move to another app and keep it secret."),
    ("threat", "escalate_case", "violence_threats", "",
     "A threat made after a conflict between two schools' groups; needs a case handler."),
)


def seed_review_desk(session: Session) -> None:
    if session.scalar(select(ReviewItem.id).where(ReviewItem.platform_content_id.like(f"{PREFIX}%")).limit(1)):
        return
    policy.seed_reasons(session)
    rng = random.Random(2025)
    made = [_make_item(session, rng, n) for n in range(1, N_ITEMS + 1)]
    session.commit()
    moderator = accounts.get_by_email(session, "moderator@demo.c2c")
    if moderator is None:
        return
    used: set[int] = set()
    first: ReviewItem | None = None
    for category, action, reason, duration, facts in DECISIONS:
        item = next((i for i, c in made if c == category and i.id not in used), None)
        if item is None:
            continue
        used.add(item.id)
        _decide(session, moderator, item, action, reason, duration, facts)
        first = first or item
    if first is not None:
        _appeal_one(session, first)
    _notes(session, moderator, made, used)
    session.commit()


def _decide(session: Session, moderator: User, item: ReviewItem, action: str, reason: str,
            duration: str, facts: str) -> None:
    claims.claim(session, item.id, moderator, now=utcnow() - timedelta(minutes=3))
    session.flush()
    session.refresh(item)
    reveals.reveal(session, moderator, item.id)  # the demo moderator looks before deciding
    decisions.decide(session, moderator, decisions.DecisionRequest(
        item_id=item.id, version=item.version, action=action, reason_code=reason, facts=facts,
        duration=duration, confirm_support=True,
        # the grooming escalation also asks the platform to hide it (issue 19.4)
        hide_content=action == "escalate_safeguarding" and reason == "grooming_child_safety"))
    session.commit()


def _notes(session: Session, moderator: User, made: list[tuple[ReviewItem, str]], used: set[int]) -> None:
    """An internal note on a waiting item and a note on its author's account (issue 22.5-6)."""
    from c2c_safety.review import account_view, second_opinion

    item = next((i for i, c in made if c == "harassment" and i.id not in used), None)
    if item is None:
        return
    second_opinion.add_note(session, item.id, moderator, "Same group chat as last week's report; the "
                            "teacher knows about the conflict.")
    account_view.add_note(session, item.id, moderator, "Several reports from classmates this month; "
                          "worth a word with the teacher if it goes on.")


def _appeal_one(session: Session, item: ReviewItem) -> None:
    from c2c_safety.demo.api import DEMO_CLIENT
    from c2c_safety.review import appeals
    from models.review import Decision

    client = session.scalars(select(ApiClient).where(ApiClient.name == DEMO_CLIENT)).first()
    decision = session.scalars(select(Decision).where(Decision.item_id == item.id)).first()
    if client is None or decision is None:
        return
    appeals.create(session, client, decision_id=decision.id, appellant="author",
                   appellant_pseudonym=item.author_pseudonym, platform_ref="demo-appeal-1",
                   text="I only said it as a joke and I already said sorry to her.")
