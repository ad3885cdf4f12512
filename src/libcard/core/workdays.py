"""Working days: government office days on which the library is open.

Office days come from the ``holidays`` package (Taiwan: public holidays,
substitute days off and make-up Saturdays, 補行上班); the library's weekly
closing day and its closure days come from the database. The first working
day counted is the day after the event. A year the calendar does not know
stops the count with an error instead of a wrong date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import holidays
from django.conf import settings


class UnknownYear(Exception):
    def __init__(self, year: int) -> None:
        super().__init__(
            f"The working-day calendar does not know {year}; update the holidays package "
            f"and LIBCARD_CALENDAR_LAST_YEAR after checking the government's calendar."
        )
        self.year = year


@cache
def _government(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(days off, make-up workdays) of one year on the government calendar."""
    calendar = holidays.TW(years=year)
    makeup = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return frozenset(calendar), makeup


@dataclass
class Calendar:
    closed_weekday: int | None = 0  # Monday
    closures: frozenset[dt.date] = field(default_factory=frozenset)
    makeup_saturdays_count: bool = True
    first_year: int = 1998
    last_year: int = 2027
    _working: dict[dt.date, bool] = field(default_factory=dict, repr=False, compare=False)

    def _known(self, day: dt.date) -> None:
        if not self.first_year <= day.year <= self.last_year:
            raise UnknownYear(day.year)

    def is_office_day(self, day: dt.date) -> bool:
        self._known(day)
        days_off, makeup = _government(day.year)
        if day in makeup:
            return self.makeup_saturdays_count
        return day.weekday() < 5 and day not in days_off

    def is_working_day(self, day: dt.date) -> bool:
        if day.weekday() == self.closed_weekday or day in self.closures:
            return False
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self.is_office_day(day)
        return known

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The day on which the count-th working day after ``start`` falls."""
        day = start
        counted = 0
        while counted < count:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + dt.timedelta(days=offset))
        )


def library_calendar(closures: Iterable[dt.date] | None = None) -> Calendar:
    """The calendar with the library's settings and closures from the database."""
    from libcard.core.models import CalendarSettings, Closure

    if closures is None:
        closures = Closure.objects.values_list("day", flat=True)
    return Calendar(
        closed_weekday=CalendarSettings.current().closed_weekday,
        closures=frozenset(closures),
        makeup_saturdays_count=settings.WORKDAYS_MAKEUP_SATURDAYS_COUNT,
        last_year=settings.LIBCARD_CALENDAR_LAST_YEAR,
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month ``months`` later, clamped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))
