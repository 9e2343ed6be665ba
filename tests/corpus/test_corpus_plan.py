"""Plan determinism and sizing, text splits and the held-out test exclusion (no engines)."""

from __future__ import annotations

import pytest

from tts_moe.corpus.plan import NOMINAL_SEC_PER_CHAR, cell_budgets, make_plan, work_units
from tts_moe.corpus.texts import TextItem, assert_no_test_text, canonical, glitch_words, load_lj, load_texts
from tts_moe.errors import InputError

CELLS = {"flite-slt": ("neutral", "fast", "slow"), "espeak-en-us+m3": ("neutral", "high")}


@pytest.fixture(scope="module")
def train_texts() -> list[TextItem]:
    return load_texts("train")[0]


def test_same_seed_and_hours_give_the_same_plan(train_texts):
    a = make_plan(train_texts, CELLS, split="train", seed=3, hours=0.2)
    b = make_plan(train_texts, CELLS, split="train", seed=3, hours=0.2)
    assert a == b
    c = make_plan(train_texts, CELLS, split="train", seed=4, hours=0.2)
    assert [j.text_id for j in a] != [j.text_id for j in c]


def test_plan_size_follows_hours_and_weighting(train_texts):
    hours = 0.5
    plan = make_plan(train_texts, CELLS, split="train", seed=0, hours=hours)
    estimated: dict[tuple[str, str], float] = {}
    factor = {"fast": 0.75, "slow": 1.4}
    for job in plan:
        key = (job.speaker, job.style)
        estimated[key] = estimated.get(key, 0.0) + len(job.text) * NOMINAL_SEC_PER_CHAR * factor.get(job.style, 1.0)
    budgets = cell_budgets(CELLS, hours)
    assert set(estimated) == set(budgets)
    for key, seconds in estimated.items():
        # each cell lands within half a sentence (< 10 s) of its budget
        assert abs(seconds - budgets[key]) < 10
    # equal hours per speaker, neutral weighted twice
    assert budgets[("flite-slt", "neutral")] == pytest.approx(2 * budgets[("flite-slt", "fast")])
    per_speaker = {s: sum(v for (sp, _), v in budgets.items() if sp == s) for s in CELLS}
    assert per_speaker["flite-slt"] == pytest.approx(per_speaker["espeak-en-us+m3"])
    assert sum(budgets.values()) == pytest.approx(hours * 3600)


def test_more_hours_extend_each_cell(train_texts):
    small = make_plan(train_texts, CELLS, split="train", seed=0, hours=0.1)
    large = make_plan(train_texts, CELLS, split="train", seed=0, hours=0.3)
    assert {j.id for j in small} < {j.id for j in large}


def test_clips_per_cell_and_ids_are_unique(train_texts):
    plan = make_plan(train_texts, CELLS, split="train", seed=0, clips_per_cell=3)
    assert len(plan) == 3 * sum(len(s) for s in CELLS.values())
    assert len({j.id for j in plan}) == len(plan)
    assert all(j.path == f"audio/{j.speaker}/{j.style}/{j.text_id}.flac" for j in plan)


def test_bad_sizes_are_refused(train_texts):
    with pytest.raises(InputError):
        make_plan(train_texts, CELLS, split="train", hours=0)
    with pytest.raises(InputError):
        make_plan(train_texts, CELLS, split="train", hours=1, clips_per_cell=2)


def test_work_units_are_single_cell_batches(train_texts):
    plan = make_plan(train_texts, CELLS, split="train", seed=0, clips_per_cell=5)
    units = work_units(plan, batch_size=2)
    assert sorted(j.id for u in units for j in u) == sorted(j.id for j in plan)
    assert all(len(u) <= 2 and len({(j.speaker, j.style) for j in u}) == 1 for u in units)


def test_training_texts_never_contain_test_sentences(train_texts):
    test = load_lj("test")
    assert len(test) == 500
    test_ids = {t.id for t in test}
    test_keys = {canonical(t.text) for t in test}
    assert not [t for t in train_texts if t.id in test_ids or canonical(t.text) in test_keys]
    # the guard itself fires on a leak
    with pytest.raises(InputError, match="held-out test"):
        assert_no_test_text(train_texts[:10] + [test[7]])


def test_val_and_test_splits_load():
    assert len(load_texts("val")[0]) == 100
    assert {t.id for t in load_texts("test")[0]} == {t.id for t in load_lj("test")}
    with pytest.raises(InputError):
        load_texts("dev")


def test_glitch_filter_flags_joined_words():
    sentences = ["God said it was good."] * 30 + ["And God created the light."] * 30
    sentences += ["Godcreated the heavens.", "The lighthouse stood."]
    bad = glitch_words(sentences, lexicon=frozenset({"lighthouse"}))
    assert "godcreated" in bad
    assert "lighthouse" not in bad
    train = load_texts("train")[1]["web-sentences/sentences.txt"]
    assert 0 < train["dropped_glitches"] < 300
