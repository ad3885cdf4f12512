"""National ID and resident certificate numbers: the spec's examples and the check-digit rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libcard.identity.numbers import (
    LETTER_CODES,
    WEIGHTS,
    IdKind,
    check_digit_for,
    check_id,
    mask_id,
    normalise_id,
)

letters = st.sampled_from(sorted(LETTER_CODES))
digits = st.text("0123456789", min_size=7, max_size=7)


def reference_valid(number: str) -> bool:
    """The rule exactly as identity.md writes it, independent of the implementation."""
    code = LETTER_CODES[number[0]]
    second = number[1]
    if second.isalpha():  # old resident format: the letter counts as its code's last digit
        second = str(LETTER_CODES[second] % 10)
    values = [code // 10, code % 10, int(second), *map(int, number[2:])]
    return sum(w * v for w, v in zip(WEIGHTS, values, strict=True)) % 10 == 0


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("A123456789", IdKind.NATIONAL),
        ("M162773050", IdKind.NATIONAL),
        ("A800000014", IdKind.RESIDENT_NEW),
        ("AA00000009", IdKind.RESIDENT_OLD),
        ("CC00151114", IdKind.RESIDENT_OLD),
        ("HD12345678", IdKind.RESIDENT_OLD),
    ],
)
def test_it_accepts_the_spec_examples(number, kind):
    result = check_id(number)
    assert result.ok
    assert result.kind is kind


@pytest.mark.parametrize(
    "raw",
    [
        "a123456789",
        "Ａ１２３４５６７８９",
        " A123-456-789 ",
        "A 123 456 789",
        "a１２３４５６７８９\u3000",
    ],
)
def test_it_normalises_before_checking(raw):
    assert normalise_id(raw) == "A123456789"
    assert check_id(raw).ok


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "missing"),
        ("   ", "missing"),
        (None, "missing"),
        ("A12345678", "format"),
        ("A323456789", "format"),
        ("1234567890", "format"),
        ("AE12345678", "format"),
        ("A123456788", "checksum"),
        ("A800000015", "checksum"),
        ("AA00000008", "checksum"),
    ],
)
def test_it_tells_format_checksum_and_missing_apart(raw, problem):
    assert check_id(raw).problem == problem


@given(letters, st.sampled_from("1289"), digits)
def test_generated_numbers_with_their_check_digit_are_valid(letter, second, middle):
    first_nine = letter + second + middle
    number = first_nine + check_digit_for(first_nine)
    assert check_id(number).ok
    assert reference_valid(number)


@given(letters, st.sampled_from("1289ABCD"), digits, st.sampled_from("0123456789"))
def test_validity_agrees_with_the_written_rule(letter, second, middle, last):
    number = letter + second + middle + last
    result = check_id(number)
    assert (result.problem is None) == reference_valid(number)


@given(letters, st.sampled_from("12"), digits, st.integers(1, 9))
def test_changing_the_check_digit_breaks_a_valid_number(letter, second, middle, delta):
    first_nine = letter + second + middle
    good = int(check_digit_for(first_nine))
    assert check_id(first_nine + str((good + delta) % 10)).problem == "checksum"


@given(st.text(max_size=30))
def test_any_text_gives_a_result_never_an_exception(text):
    result = check_id(text)
    assert result.problem in (None, "missing", "format", "checksum")
    masked = mask_id(text)
    if len(result.number) >= 8:
        assert result.number not in masked


def test_sex_comes_from_the_second_character():
    assert check_id("A123456789").sex == "M"
    assert check_id("A800000014").sex == "M"
    assert check_id("HD12345678").sex == "F"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("A123456789", "A12****789"), ("a123456789", "A12****789"), ("B12", "***"), ("", "")],
)
def test_masking_never_shows_the_whole_number(raw, masked):
    assert mask_id(raw) == masked
