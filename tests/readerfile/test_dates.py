"""Birth dates in every form a Taiwanese office writes them."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libcard.readerfile.dates import BadDate, parse_birth_date

MARCH_12_1996 = dt.date(1996, 3, 12)


@pytest.mark.parametrize(
    "value",
    [
        MARCH_12_1996,
        dt.datetime(1996, 3, 12, 0, 0),
        "1996-03-12",
        "1996/3/12",
        "1996.03.12",
        "19960312",
        "85/03/12",
        "085/03/12",
        "85-3-12",
        "0850312",
        "850312",
        "民國85年3月12日",
        "85年3月12日",
        "1996年3月12日",
        "１９９６／０３／１２",
        " 85/03/12 ",
        "1996-03-12 00:00:00",
        850312.0,
        850312,
        19960312.0,
    ],
)
def test_it_reads_every_accepted_form(value):
    assert parse_birth_date(value) == MARCH_12_1996


def test_roc_100_is_2011():
    assert parse_birth_date("1000312") == dt.date(2011, 3, 12)
    assert parse_birth_date("100/3/12") == dt.date(2011, 3, 12)


@pytest.mark.parametrize(
    "value",
    [
        "85/02/30",
        "1996-13-01",
        "0/1/1",
        "abc",
        "12345",
        "35136",
        35136.0,
        850312.5,
        True,
        "",
        "85/3",
    ],
)
def test_it_refuses_what_is_not_a_date_instead_of_guessing(value):
    with pytest.raises(BadDate):
        parse_birth_date(value)


dates = st.dates(min_value=dt.date(1912, 1, 1), max_value=dt.date(2099, 12, 31))


@given(dates)
def test_every_written_form_reads_back(day):
    roc = day.year - 1911
    forms = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month:02d}.{day.day:02d}",
        f"{day.year}{day.month:02d}{day.day:02d}",
        f"{roc}/{day.month:02d}/{day.day:02d}",
        f"{roc:03d}/{day.month}/{day.day}",
        f"{roc}-{day.month}-{day.day}",
        f"{roc:03d}{day.month:02d}{day.day:02d}",
        f"民國{roc}年{day.month}月{day.day}日",
        f"{roc}年{day.month}月{day.day}日",
    ]
    if roc >= 10:  # a number cell: ROC years 1–9 would leave five digits, which is no date form
        forms.append(float(f"{roc}{day.month:02d}{day.day:02d}"))
    for form in forms:
        assert parse_birth_date(form) == day, form


@given(st.one_of(st.text(max_size=20), st.floats(), st.integers(), st.none(), st.booleans()))
def test_anything_gives_a_date_or_bad_date(value):
    try:
        assert isinstance(parse_birth_date(value), dt.date)
    except BadDate:
        pass
