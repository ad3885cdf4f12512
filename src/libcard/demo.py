"""Demo data for `make run`: staff, schools and applications in every state.

Everything goes through the real services (upload, submit, issue), so the demo
shows what a library would see. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from libcard.accounts.roles import STAFF_ROLES
from libcard.core.audit import Actor
from libcard.groups.models import ContactPerson, GroupApplication, Institution
from libcard.identity.numbers import check_digit_for
from libcard.readerfile.columns import COLUMNS

logger = logging.getLogger(__name__)

STAFF_USERNAME = "staff"
STAFF_PASSWORD = "libcard-demo-staff"  # noqa: S105 - documented demo login, local only
CONTACT_EMAIL = "contact@demo-school.example.edu.tw"
CONTACT_PASSWORD = "libcard-demo-contact"  # noqa: S105 - documented demo login, local only
READER_ID = "F126785479"
READER_PASSWORD = "libcard-demo-reader"  # noqa: S105 - documented demo login, local only
SIP2_USER = "demo-sip2"
SIP2_PASSWORD = "libcard-demo-sip2"  # noqa: S105 - documented demo login, local only

SCHOOLS = [
    ("臺中市立示範國民小學", "193601", CONTACT_EMAIL, "林老師"),
    ("新北市立範例國民中學", "014501", "contact@sample-junior.example.edu.tw", "陳組長"),
    ("國立示例高級中學", "030305", "contact@example-senior.example.edu.tw", "張主任"),
    ("臺中市政府文化局", "", "contact@culture.example.gov.tw", "王科員"),
]
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "家豪志明俊傑建宏淑芬美玲雅婷怡君宗翰承恩宥廷品妍詠晴子涵柏宇"


def _id(seed: int) -> str:
    letters = "BCDEFGHJKLMNPQRSTUVX"
    first = letters[seed % len(letters)] + "12"[seed % 2] + f"{(seed * 104729) % 10**7:07d}"
    return first + check_digit_for(first)


def _reader_file(start: int, count: int, *, with_errors: bool = False) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("讀者資料")
    sheet.write_row(0, 0, [column.header for column in COLUMNS])
    for index in range(count):
        seed = start + index
        number = _id(seed)
        row = [
            index + 1,
            SURNAMES[seed % 20] + GIVEN[seed % 30] + GIVEN[(seed * 7) % 30],
            number,
            f"{95 + seed % 5}/{1 + seed % 12:02d}/{1 + seed % 28:02d}",
            "學生" if index % 8 else "教職員",
            "男" if number[1] == "1" else "女",
            f"reader{seed}@mail.example.edu.tw",
            "",
            f"{1 + seed % 6}年{1 + seed % 4}班",
        ]
        if with_errors and index in (2, 5):
            row[3] = "85/02/30"
        if with_errors and index == 7:
            row[4] = "家長"
        sheet.write_row(index + 1, 0, row)
    book.close()
    return buffer.getvalue()


def _staff() -> None:
    User = get_user_model()
    if User.objects.filter(username=STAFF_USERNAME).exists():
        return
    user = User.objects.create_user(
        username=STAFF_USERNAME,
        password=STAFF_PASSWORD,
        email="staff@library.example",
        first_name="示範館員",
        is_staff=True,
    )
    for role in STAFF_ROLES:
        user.groups.add(Group.objects.get_or_create(name=role)[0])


def _application(
    institution: Institution, contact: ContactPerson, number: int, days_ago: int, label: str = ""
) -> GroupApplication:
    from libcard.groups.services import application_register

    letter_date = timezone.localdate() - dt.timedelta(days=days_ago)
    return application_register(
        actor=Actor("system", label="demo"),
        institution=institution,
        contact=contact,
        letter_number=f"府教數字第11{number:08d}號",
        letter_date=letter_date,
        received_on=letter_date + dt.timedelta(days=3),
        batch_label=label,
    )


@transaction.atomic
def load_demo() -> bool:
    """Returns False when the demo data was already there."""
    from libcard.groups import services

    _staff()
    if Institution.objects.filter(code=SCHOOLS[0][1]).exists():
        return False
    actor = Actor("system", label="demo")
    institutions, contacts = [], []
    for name, code, email, person in SCHOOLS:
        institution = Institution.objects.create(name=name, code=code, county=name[:3])
        contact = ContactPerson.objects.create(
            institution=institution, name=person, email=email, title="承辦人", phone="04-22625100"
        )
        institutions.append(institution)
        contacts.append(contact)
    User = get_user_model()
    user = User.objects.create_user(
        username=CONTACT_EMAIL, email=CONTACT_EMAIL, password=CONTACT_PASSWORD
    )
    contacts[0].user = user
    contacts[0].save(update_fields=["user"])

    school, contact = institutions[0], contacts[0]
    # received: a letter waiting for a decision
    _application(institutions[1], contacts[1], 1, 5)
    # rejected
    rejected = _application(institutions[3], contacts[3], 2, 40)
    services.application_reject(
        actor=actor, application=rejected, reason="申請單未蓋機關關防，請補正後重新來文。"
    )
    # awaiting the file
    waiting = _application(school, contact, 3, 12, "第2批")
    services.application_approve(actor=actor, application=waiting)
    # returned: a file with errors
    returned = _application(institutions[2], contacts[2], 4, 30)
    services.application_approve(actor=actor, application=returned)
    bad = services.submission_upload(
        actor=actor,
        application=returned,
        filename="讀者資料.xlsx",
        data=_reader_file(500, 12, with_errors=True),
    )
    services.submission_submit(actor=actor, submission=bad)
    # queued: a valid file waiting to be issued
    queued = _application(institutions[1], contacts[1], 5, 20)
    services.application_approve(actor=actor, application=queued)
    good = services.submission_upload(
        actor=actor,
        application=queued,
        filename="範例國中讀者資料.xlsx",
        data=_reader_file(700, 40),
    )
    services.submission_submit(actor=actor, submission=good)
    # completed: issued with its roster (first batch of the demo school)
    done = _application(school, contact, 6, 60, "第1批")
    services.application_approve(actor=actor, application=done)
    upload = services.submission_upload(
        actor=actor, application=done, filename="示範國小讀者資料.xlsx", data=_reader_file(100, 30)
    )
    services.submission_submit(actor=actor, submission=upload)
    # The worker issues the cards (at once under `make run`).
    services.application_issue(actor=actor, application=done)
    # expired: approved long ago, no file
    old = _application(institutions[3], contacts[3], 7, 200)
    services.application_approve(actor=actor, application=old)
    services.applications_expire_due()
    _reader_and_platform(actor)
    _individual_applications()
    return True


def _reader_and_platform(actor: Actor) -> None:
    """A reader who has chosen a password, and a platform that may ask about readers."""
    from libcard.accounts.passwords import hash_password
    from libcard.platforms.services import platform_register
    from libcard.readers.models import Card
    from libcard.readers.services import NewReader, initial_password_new, reader_build

    reader = reader_build(
        NewReader(
            number=READER_ID,
            name="示範讀者",
            birth_date=dt.date(1990, 5, 17),
            email="reader@demo.example",
        ),
        secret=initial_password_new(),
        now=timezone.now(),
    )
    reader.password = hash_password(READER_PASSWORD)
    reader.initial_secret_hash = ""
    reader.initial_expires_at = None
    reader.notice_accepted_at = timezone.now()
    reader.email_verified = True
    reader.save()
    Card.objects.create(reader=reader, source=Card.Source.INDIVIDUAL)
    platform_register(
        actor=actor,
        name="示範電子書平台",
        api=False,
        sip2_user=SIP2_USER,
        sip2_password=SIP2_PASSWORD,
        allow=["127.0.0.0/8", "::1/128"],
        may={"name": True},
    )


def _individual_applications() -> None:
    """Two applications waiting in the reviewers' queue, with (plain, generated) documents."""
    from PIL import Image

    from libcard.individual.models import DOCUMENTS_FOR, ApplicantType
    from libcard.individual.services import (
        ApplicantData,
        application_confirm_email,
        application_submit,
    )
    from libcard.individual.uploads import check_document

    def image(text_color: str) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (640, 400), text_color).save(buffer, format="JPEG")
        return buffer.getvalue()

    applicant = Actor("applicant", label="demo", channel="web")
    people = [
        ApplicantData(
            applicant_type=ApplicantType.NATIONAL,
            number=_id(9001),
            name="陳怡君",
            birth_date=dt.date(1988, 2, 3),
            email="yijun@demo.example",
            mobile="0912345678",
            address="臺中市南區五權南路100號",
        ),
        ApplicantData(
            applicant_type=ApplicantType.FOREIGN,
            number="A800000014",
            name="NGUYEN VAN AN",
            birth_date=dt.date(1995, 8, 20),
            email="an@demo.example",
            mobile="0987654321",
            address="臺中市西區民權路1號",
            resident_expires_on=timezone.localdate() + dt.timedelta(days=500),
        ),
    ]
    for person in people:
        documents = {
            kind: check_document(image("lightsteelblue"))
            for kind in DOCUMENTS_FOR[person.applicant_type]
        }
        application = application_submit(actor=applicant, data=person, documents=documents)
        application_confirm_email(actor=applicant, application=application)
