"""Working days: the government calendar, make-up Saturdays, the closing weekday and closures."""

import datetime as dt

import pytest

from libcard.core.workdays import Calendar, UnknownYear, add_months

D = dt.date


def test_holidays_and_the_closing_monday_do_not_count():
    # 2024 Lunar New Year: 8–14 February off; Saturday 17 February a make-up workday.
    calendar = Calendar(closed_weekday=0)
    assert not calendar.is_working_day(D(2024, 2, 9))  # New Year's Eve, Friday
    assert not calendar.is_working_day(D(2024, 2, 19))  # Monday: the library is closed
    assert calendar.is_working_day(D(2024, 2, 17))  # make-up Saturday
    assert calendar.is_working_day(D(2024, 2, 15))  # Thursday after the holidays


def test_make_up_saturdays_can_be_turned_off():
    assert not Calendar(makeup_saturdays_count=False).is_working_day(D(2024, 2, 17))


def test_counting_starts_the_day_after_the_event():
    calendar = Calendar(closed_weekday=0)
    # Tuesday 2 July 2024: next working days are Wed 3, Thu 4, Fri 5, Tue 9 …
    assert calendar.add_working_days(D(2024, 7, 2), 1) == D(2024, 7, 3)
    assert calendar.add_working_days(D(2024, 7, 2), 4) == D(2024, 7, 9)


def test_ten_working_days_around_lunar_new_year():
    calendar = Calendar(closed_weekday=0)
    # From Wed 7 Feb 2024: Sat 17 (make-up), Thu 15, Fri 16, Tue 20 … skip the holiday week.
    due = calendar.add_working_days(D(2024, 2, 7), 10)
    assert due == D(2024, 3, 1)
    assert calendar.working_days_between(D(2024, 2, 7), due) == 10


def test_closure_days_entered_by_staff_do_not_count():
    typhoon = D(2024, 7, 25)
    assert Calendar(closed_weekday=0).is_working_day(typhoon)
    assert not Calendar(closed_weekday=0, closures=frozenset({typhoon})).is_working_day(typhoon)


def test_days_left_can_be_negative_when_late():
    calendar = Calendar(closed_weekday=0)
    # Thu 4, Fri 5, (weekend, closing Monday), Tue 9
    assert calendar.working_days_between(D(2024, 7, 9), D(2024, 7, 3)) == -3


def test_an_unknown_year_fails_loudly():
    with pytest.raises(UnknownYear):
        Calendar(last_year=2027).is_working_day(D(2028, 1, 4))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 4, 2), 6, D(2024, 10, 2)),
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2024, 12, 15), 6, D(2025, 6, 15)),
    ],
)
def test_six_months_after_the_letter_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.django_db
def test_the_library_calendar_reads_closures_from_the_database():
    from libcard.core.models import CalendarSettings, Closure
    from libcard.core.workdays import library_calendar

    Closure.objects.create(day=D(2024, 7, 25), reason="颱風停班")
    settings_row = CalendarSettings.current()
    settings_row.closed_weekday = 1
    settings_row.save()
    calendar = library_calendar()
    assert not calendar.is_working_day(D(2024, 7, 25))
    assert not calendar.is_working_day(D(2024, 7, 23))  # Tuesday now
    assert calendar.is_working_day(D(2024, 7, 22))  # Monday open
