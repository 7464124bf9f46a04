"""Fine-tuning on a tiny synthetic model: seeded, reproducible, resumable; and the new public
data loaders on tiny synthetic files (template splits, filters, no player names)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from classifiers.backbones.e5model import AdapterConfig, E5Tokenizer, build_scorer
from classifiers.data.examples import Example
from classifiers.training import finetune, lowercache

CFG = finetune.TrainConfig(seed=5, epochs=2, batch_size=4, warmup_steps=2)


def _examples() -> list[Example]:
    out = []
    for i in range(24):
        ex = Example(("you are stupid " if i % 2 else "hello class tree ") * (1 + i % 3), "t",
                     "train" if i < 20 else "val")
        out.append(ex.label("harassment", i % 2).label("grooming", 0, 0.5))
    return out


def _run(model: Path, work: Path) -> dict[str, torch.Tensor]:
    examples = _examples()
    scorer = build_scorer(model, AdapterConfig(split=2, rank=4, alpha=8.0), None, train=True)
    windows = finetune.prepare_windows(examples, E5Tokenizer(model))
    lowercache.build(work / "lower", windows, scorer, pad_id=1)
    hidden = lowercache.load(work / "lower", len(windows))
    finetune.fit(examples, hidden, scorer, CFG, work, "fp")
    return scorer.trainable_state()


def test_training_is_reproducible_and_resumable(tiny_e5: tuple[Path, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = tiny_e5
    monkeypatch.setattr(finetune, "CHECKPOINT_EVERY", 3)
    first = _run(model, tmp_path / "a")
    again = _run(model, tmp_path / "b")
    assert all(torch.equal(first[k], again[k]) for k in first)   # same seed, same weights

    real_checkpoint = finetune._checkpoint
    calls = {"n": 0}

    def crash_after_two(*args: object, **kwargs: object) -> None:
        real_checkpoint(*args, **kwargs)  # type: ignore[arg-type]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt   # the machine went away after step 6

    monkeypatch.setattr(finetune, "_checkpoint", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        _run(model, tmp_path / "c")
    monkeypatch.setattr(finetune, "_checkpoint", real_checkpoint)
    resumed = _run(model, tmp_path / "c")        # same command again: continues at step 6
    for k in first:
        assert torch.allclose(first[k], resumed[k], atol=1e-6), k


def test_balance_caps_the_positive_boost() -> None:
    import numpy as np

    y = np.array([[1.0], [0.0]] + [[0.0]] * 98, np.float32)
    w = np.ones_like(y)
    out = finetune.balance(y, w)
    assert out[0, 0] == finetune.MAX_POSITIVE_BOOST and out[1, 0] == 1.0


def test_multilingual_loaders_split_by_template_and_drop_what_they_must(tmp_path: Path) -> None:
    from classifiers.data import sources as dm

    mhc = tmp_path / "multilingual_hatecheck"
    mhc.mkdir()
    head = "mhc_case_id,functionality,test_case,label_gold,templ_id,disagreement_in_template\n"
    rows = "".join(f"s-{i},derog_neg_emote_h,Odio a los {i},hateful,{i % 7},False\n" for i in range(40))
    rows += "s-99,target_indiv_nh,Eres un idiota,non-hateful,50,False\n"
    rows += "s-100,threat_dir_h,Voy a mataros,hateful,51,True\n"     # disagreement: dropped
    for name in dm.MHC_LANGUAGES:
        (mhc / f"hatecheck_cases_final_{name}.csv").write_text(head + (rows if name == "spanish" else ""))
    got = [ex for ex in dm.mhc(tmp_path) if ex.source == "mhc_es"]
    assert len(got) == 41 and all(ex.language == "es" for ex in got)
    templates: dict[int, set[str]] = {}
    for ex in got[:40]:
        templates.setdefault(int(ex.text.split()[-1]) % 7, set()).add(ex.split)
    assert all(len(splits) == 1 for splits in templates.values())   # a template never straddles splits
    [indiv] = [ex for ex in got if ex.text == "Eres un idiota"]
    assert indiv.labels["harassment"] == 1 and indiv.labels["hate"] == 0

    conda = tmp_path / "conda_ingame"
    conda.mkdir()
    header = "Id,matchId,conversationId,utterance,chatTime,playerSlot,playerId,intentClass,slotClasses,slotTokens\n"
    (conda / "CONDA_train.csv").write_text(header + "1,1,7,ez mid,1,0,SecretNick,I,O,\n"
                                           "2,1,7,you suck [SEPA] noob,2,0,SecretNick,E,T,\n")
    (conda / "CONDA_valid.csv").write_text(header + "3,2,8,gg wp,1,0,OtherNick,O,S,\n")
    rows_c = list(dm.conda(tmp_path))
    assert [ex.text for ex in rows_c] == ["you suck \n noob", "gg wp"]   # implicit ("ez mid") left out
    assert rows_c[1].split == "test" and rows_c[0].labels["harassment"] == 1
    assert not any("Nick" in ex.text for ex in rows_c)


def test_a_team_only_head_judges_only_when_many_hands_wrote_its_examples() -> None:
    from classifiers.training import train

    def rows(hands: int, languages: int, n: int) -> list[Example]:
        out = []
        for i in range(n):
            ex = Example(f"msg {i}", "classroom", "val", language=f"l{i % languages}", hand=f"h{i % hands}")
            out.append(ex.label("grooming", 1).label("sexual", 0))
        return out

    assert train.judged_heads(rows(8, 15, 60)) == {"grooming"}
    assert train.judged_heads(rows(1, 15, 60)) == frozenset()         # one writer's idea of grooming
    assert train.judged_heads(rows(8, 3, 60)) == frozenset()          # a few languages only
    assert train.judged_heads(rows(8, 15, train.MIN_JUDGE_POSITIVES - 1)) == frozenset()
    train_split = [Example(ex.text, ex.source, "train", language=ex.language, hand=ex.hand, labels=ex.labels,
                           weights=ex.weights) for ex in rows(8, 15, 60)]
    assert train.judged_heads(train_split) == frozenset()              # validation positives count


def test_gahd_told_br_and_pejorativity_keep_a_held_out_split(tmp_path: Path) -> None:
    from classifiers.data import sources as dm

    (tmp_path / "gahd").mkdir()
    (tmp_path / "gahd" / "gahd_disaggregated.csv").write_text(
        "text,label,split\n" + "".join(f"Satz {i},{i % 2},{('train', 'dev', 'test')[i % 3]}\n" for i in range(30)))
    got = list(dm.gahd(tmp_path))
    assert {ex.split for ex in got} == {"train", "val", "test"}
    assert sum(ex.split == "test" for ex in got) == 10            # the authors' test split, untouched
    (tmp_path / "pejorativity_it").mkdir()
    (tmp_path / "pejorativity_it" / "pejorativity.csv").write_text(
        "text,pejorative\n" + "".join(f"@tizio sei una balena {i} http://x.y,{i % 2}\n" for i in range(200)))
    pej = list(dm.pejorativity_it(tmp_path))
    assert {ex.split for ex in pej} == {"train", "val", "test"} and not any("@" in ex.text for ex in pej)
