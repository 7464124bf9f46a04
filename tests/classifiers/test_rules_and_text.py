"""Fast tests of rules, normalisation and language detection (no model)."""

from __future__ import annotations

import pytest

from classifiers.rules.engine import RULE_HIGH, apply_rules, rule_to_score
from classifiers.textprep import MAX_CHARS, detect_language, normalise, prepare


def test_grooming_combination_crosses_high_and_names_signals() -> None:
    hits = apply_rules("don't tell your parents, send me a pic and add me on snapchat")
    assert hits.scores["grooming"] >= RULE_HIGH
    reason = hits.reasons["grooming"]
    assert reason.startswith("grooming signal:")
    assert "secret" in reason and "photos" in reason and "private app" in reason


@pytest.mark.parametrize("text", [
    "How old are you? We are eleven.",
    "Can you send us a picture of your science poster?",
    "Let's meet on the video call at 10.",
])
def test_single_ambiguous_pen_pal_signal_stays_below_high(text: str) -> None:
    hits = apply_rules(text)
    assert hits.scores.get("grooming", 0.0) < RULE_HIGH


@pytest.mark.parametrize(("text", "category"), [
    ("I'm going to bring a gun to school and shoot you", "threat"),
    ("i will kill you", "threat"),
    ("Ich bring dich um", "threat"),
    ("I want to kill myself", "self_harm"),
    ("jeg vil dø", "self_harm"),
    ("go kill yourself", "harassment"),
    ("s3nd n00dz", "sexual"),
    ("send nudes", "grooming"),
    ("this is fucking boring", "profanity"),
    ("Sag es niemandem, unser kleines Geheimnis. Schick mir ein Foto.", "grooming"),
])
def test_rule_hits(text: str, category: str) -> None:
    hits = apply_rules(text)
    assert category in hits.scores, hits
    assert category in hits.reasons


def test_benign_text_fires_nothing() -> None:
    assert apply_rules("Our class planted trees today and measured how tall they grew.").scores == {}


def test_rule_scale_maps_high_onto_threshold() -> None:
    for threshold in (0.1, 0.5, 0.9):
        assert rule_to_score(RULE_HIGH, threshold) == pytest.approx(threshold)
        assert rule_to_score(0.0, threshold) == 0.0
        assert rule_to_score(1.0, threshold) == pytest.approx(1.0)
        assert rule_to_score(0.45, threshold) < threshold
        values = [rule_to_score(x / 20, threshold) for x in range(21)]
        assert values == sorted(values)


def test_normalise_cleans_garbage() -> None:
    text, truncated = normalise("a\x00b\u202ec\ud800d\u200be\u0301\u0301\u0301\u0301")
    assert "\x00" not in text and "\u202e" not in text and "\ud800" not in text
    assert "\u200b" not in text
    text.encode("utf-8")  # no lone surrogates left
    assert not truncated
    big, truncated = normalise("x" * (MAX_CHARS + 10))
    assert truncated and len(big) == MAX_CHARS
    # Full-width / math-bold letters fold to ASCII so rules see them.
    assert normalise("\uff4b\uff49\uff4c\uff4c \U0001d432\U0001d428\U0001d42e")[0] == "kill you"


@pytest.mark.parametrize(("text", "lang"), [
    ("Our class planted trees today and measured how tall they grew.", "en"),
    ("Vi har plantet træer i skolegården i dag, og vi målte hvor høje de blev.", "da"),
    ("Wir haben heute Bäume gepflanzt und gemessen, wie hoch sie gewachsen sind.", "de"),
    ("", "und"),
    ("😀😀😀", "und"),
    ("?!", "und"),
])
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(normalise(text)[0]) == lang


def test_prepare_never_raises_on_non_strings() -> None:
    assert prepare(None).text == ""
    assert prepare(b"\xff\xfehello").text.endswith("hello")
    assert prepare(12345).language == "und"
