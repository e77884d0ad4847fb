"""bench/extraction.py scores as the benchmark's README says (shingles, per-page means)."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "extraction.py"
spec = importlib.util.spec_from_file_location("bench_extraction", BENCH)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

GOLD = "one two three four five six"


def test_identical_texts_score_one() -> None:
    assert bench.score([GOLD], [GOLD]) == (1.0, 1.0, 1.0)


def test_extra_words_cost_precision_and_missing_words_recall() -> None:
    f1, precision, recall = bench.score([GOLD], [GOLD + " seven eight"])
    assert (precision, recall) == (pytest.approx(3 / 5), 1.0)
    f1, precision, recall = bench.score([GOLD], ["one two three four"])
    assert (precision, recall) == (1.0, pytest.approx(1 / 3))


def test_each_page_weighs_the_same_and_empty_output_has_no_precision() -> None:
    f1, precision, recall = bench.score([GOLD, GOLD * 50], [GOLD, ""])
    assert precision == 1.0
    assert recall == pytest.approx(0.5)
    assert f1 == pytest.approx(2 * 0.5 / 1.5)


def test_punctuation_and_case_of_tokens_follow_the_regex() -> None:
    assert bench.shingles("Rockets, fired: from Iraq!") == {("Rockets", "fired", "from", "Iraq"): 1}
