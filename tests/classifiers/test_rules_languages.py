"""Multilingual rules: each classroom language's phrasing of the harms the independent probe
missed fires the right family with offsets, and everyday classroom phrases that share words
with them (games, surprises, laughing) do not cross the review threshold on their own.
These sentences are not the held-out classroom set's (tests/classifiers/test_classroom.py)."""

from __future__ import annotations

import pytest

from classifiers.rules.engine import RULE_HIGH, RULES_VERSION, apply_rules

FIRES = [
    ("Jeg banker dig efter skole i morgen", "threat", "physical_threat"),
    ("Wenn du petzt, verprügle ich dich", "threat", "physical_threat"),
    ("Te voy a dar una paliza en el patio", "threat", "physical_threat"),
    ("Domani ti spacco la faccia", "threat", "physical_threat"),
    ("Ik sla je in elkaar na de les", "threat", "physical_threat"),
    ("Seni okuldan sonra döveceğim", "threat", "physical_threat"),
    ("Jeg har lyst til at dø, jeg kan ikke mere", "self_harm", "ideation"),
    ("Quiero desaparecer, no quiero vivir", "self_harm", "ideation"),
    ("Chcę umrzeć, wszystko jest bez sensu", "self_harm", "ideation"),
    ("Я не хочу жити більше", "self_harm", "ideation"),
    ("Du er meget mere moden end drengene i din klasse", "grooming", "special_bond"),
    ("Sei più matura delle tue compagne", "grooming", "special_bond"),
    ("Eres más madura que tus amigas", "grooming", "special_bond"),
    ("Ingen i klassen vil være sammen med dig", "harassment", "exclusion"),
    ("Nadie quiere estar contigo en el recreo", "harassment", "exclusion"),
    ("Kimse seni sevmiyor", "harassment", "exclusion"),
]


@pytest.mark.parametrize(("text", "category", "family"), FIRES)
def test_language_rules_fire_with_offsets(text: str, category: str, family: str) -> None:
    hits = apply_rules(text, spans=True)
    assert hits.scores.get(category, 0.0) >= RULE_HIGH, (text, hits.scores)
    spans = [s for s in hits.spans[category] if s[2] == f"rule:{family}"]
    assert spans and all(0 <= s < e <= len(text) for s, e, _ in spans)


def test_moving_apps_plus_secrecy_is_high_in_every_language() -> None:
    for text in ["Skriv til mig på snap, og fortæl ikke dine forældre noget",
                 "Escríbeme por whatsapp y no le digas nada a nadie",
                 "Scrivimi su telegram ma non dirlo a nessuno",
                 "Napisz do mnie na Snapchacie, nie mów nic rodzicom",
                 "Напиши мені в телеграм і не кажи батькам"]:
        hits = apply_rules(text)
        assert hits.scores.get("grooming", 0.0) >= RULE_HIGH, (text, hits.scores)
        assert "private app" in hits.reasons["grooming"] and "secret" in hits.reasons["grooming"]


@pytest.mark.parametrize("text", [
    "Jeg slår dig i skak i frikvarteret!", "Haha jeg dræber mig af grin", "Ich schlag dich beim Schach",
    "Pobiję cię w Minecrafcie!", "Stai da solo a fare il progetto o in gruppo?",
    "Non dirlo a nessuno, è una sorpresa per la maestra!", "Vi jobber i gruppe uten læreren i dag",
    "Te cuento un secreto: me gusta la clase de música", "Jag spöar dig i FIFA sen!",
])
def test_everyday_phrases_stay_below_high(text: str) -> None:
    assert all(v < RULE_HIGH for v in apply_rules(text).scores.values()), (text, apply_rules(text).scores)


def test_rule_files_are_in_the_model_version() -> None:
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256()
    here = Path(__file__).resolve().parents[2] / "classifiers" / "rules"
    for name in ("engine.py", "patterns.py", "patterns_languages.py"):
        digest.update((here / name).read_bytes())
    assert digest.hexdigest()[:8] == RULES_VERSION
