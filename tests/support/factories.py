"""Named people and things for tests, so that permission tests read like sentences."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from libcard.accounts.roles import STAFF_ROLES
from libcard.groups.models import ContactPerson, GroupApplication, Institution
from libcard.identity.numbers import check_digit_for
from libcard.readerfile.columns import COLUMNS

PASSWORD = "correct horse battery staple"


def staff(username: str, *roles: str):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@library.example", is_staff=True
    )
    for role in roles:
        assert role in STAFF_ROLES
        group, _created = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


def institution(name: str, code: str = "") -> Institution:
    return Institution.objects.create(name=name, code=code, county="臺中市")


def contact(institution_: Institution, email: str, *, with_user: bool = True) -> ContactPerson:
    person = ContactPerson.objects.create(
        institution=institution_, name="聯絡人" + email.split("@")[0], email=email, title="教務主任"
    )
    if with_user:
        user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
        person.user = user
        person.save(update_fields=["user"])
    return person


def application(
    institution_: Institution,
    contact_: ContactPerson,
    *,
    status: str = "received",
    letter_number: str = "",
    letter_date: dt.date | None = None,
    **extra: object,
) -> GroupApplication:
    letter_date = letter_date or timezone.localdate() - dt.timedelta(days=10)
    from libcard.core.workdays import add_months

    return GroupApplication.objects.create(
        institution=institution_,
        contact=contact_,
        letter_number=letter_number or f"府教字第{GroupApplication.objects.count() + 1:07d}號",
        letter_date=letter_date,
        received_on=letter_date + dt.timedelta(days=2),
        deadline=add_months(letter_date, 6),
        status=status,
        **extra,
    )


def national_id(seed: int, sex: str = "1") -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
    first = letters[seed % 26] + sex + f"{(seed * 7919) % 10**7:07d}"
    return first + check_digit_for(first)


def reader_rows(count: int, *, start: int = 0) -> list[list[object]]:
    rows = []
    for index in range(start, start + count):
        rows.append(
            [
                index + 1,
                f"學生{index:04d}",
                national_id(index),
                f"{90 + index % 10}/0{1 + index % 9}/1{index % 9}",
                "學生" if index % 5 else "教職員",
                "男",
                f"s{index}@school.example.edu.tw",
                "",
                f"{1 + index % 6}年{1 + index % 3}班",
            ]
        )
    return rows


def reader_file_xlsx(rows: Sequence[Sequence[object]], *, title: str | None = None) -> bytes:
    """A reader data file as a school would send it (header from the one column list)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("讀者資料")
    offset = 0
    if title:
        sheet.write_string(0, 0, title)
        offset = 2
    sheet.write_row(offset, 0, [column.header for column in COLUMNS])
    for index, row in enumerate(rows, start=offset + 1):
        for col, value in enumerate(row):
            if isinstance(value, int | float):
                sheet.write_number(index, col, value)
            else:
                sheet.write_string(index, col, str(value))
    book.close()
    return buffer.getvalue()
