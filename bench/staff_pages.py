"""Staff pages with 1,000,000 readers and 10,000 applications in PostgreSQL.

Target (workflows.md, Speed): every staff page under 200 ms. Each page is fetched
through Django's test client in one process (so the time is the app's own, without a
network), median of five after a warm-up.
"""

from __future__ import annotations

import time

from bench.common import table
from bench.database import drop_database, fresh_database, run_django

DATABASE = "libcard_bench_staff"
READERS = 1_000_000
APPLICATIONS = 10_000

FILL = """
import datetime as dt, random, time
from django.utils import timezone
from libcard.core.bulk import insert_many
from libcard.core.models import AuditEntry
from libcard.groups.models import ContactPerson, GroupApplication, Institution
from libcard.groups.states import Status
from libcard.identity.numbers import check_digit_for
from libcard.readers.models import Card, Reader
from libcard.readers.services import NewReader, reader_build
from django.db import transaction
rng = random.Random(7)
now = timezone.now()
institutions = [Institution(name=f"測試國民小學{i:04d}", code=f"{100000 + i}", county="臺中市") for i in range(1000)]
insert_many(Institution, institutions)
contacts = [ContactPerson(institution=inst, name="聯絡人", email=f"c{inst.pk}@school.example.edu.tw") for inst in institutions]
insert_many(ContactPerson, contacts)
statuses = [s for s, _ in Status.choices]
apps = []
for i in range(APPLICATIONS):
    inst = institutions[i % 1000]
    day = timezone.localdate() - dt.timedelta(days=rng.randrange(1, 400))
    status = statuses[i % len(statuses)]
    apps.append(GroupApplication(institution=inst, contact=contacts[i % 1000], letter_number=f"字第{i:08d}號",
        letter_date=day, received_on=day + dt.timedelta(days=2), deadline=day + dt.timedelta(days=180),
        status=status, file_accepted_at=now if status in ("queued", "issuing") else None,
        due_on=timezone.localdate() + dt.timedelta(days=5) if status in ("queued", "issuing") else None))
insert_many(GroupApplication, apps)
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "家豪志明俊傑建宏淑芬美玲雅婷怡君宗翰承恩宥廷品妍詠晴子涵柏宇"
BATCH = 20_000
for start in range(0, READERS, BATCH):
    with transaction.atomic():
        readers = []
        for i in range(start, min(start + BATCH, READERS)):
            first = "ABCDEFGHJKLMNPQRSTUVXYWZIO"[i % 26] + "12"[i % 2] + f"{i:07d}"
            reader = reader_build(NewReader(number=first + check_digit_for(first),
                name=SURNAMES[i % 20] + GIVEN[(i // 20) % 30] + GIVEN[(i // 600) % 30],
                birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=i % 15000),
                email=f"r{i}@mail.example"), secret="x", now=now, institution_id=institutions[i % 1000].pk)
            readers.append(reader)
        insert_many(Reader, readers)
        insert_many(Card, [Card(reader=r, source="group", issued_at=now) for r in readers])
insert_many(AuditEntry, [AuditEntry(actor_kind="system", action="login.success", object_type="readers.reader",
    object_id=str(rng.randrange(1, READERS)), channel="api", at=now) for _ in range(200_000)])
from libcard.accounts.models import User
from django.contrib.auth.models import Group
user = User.objects.create_user(username="bench", password="bench-password-2026", is_staff=True)
for role in ("reviewer", "group", "admin"):
    user.groups.add(Group.objects.get_or_create(name=role)[0])
print(Reader.objects.count(), GroupApplication.objects.count())
"""

MEASURE = """
import statistics, time
from django.test import Client
from django.conf import settings
from libcard.accounts.models import User
from libcard.groups.models import GroupApplication
from libcard.readers.models import Reader
settings.ALLOWED_HOSTS = ["testserver"]
client = Client()
client.force_login(User.objects.get(username="bench"))
session = client.session
session["staff_2fa_ok"] = True
session.save()
app = GroupApplication.objects.filter(status="completed").order_by("-id").first()
reader = Reader.objects.order_by("-id").first()
pages = [
    ("queue (dashboard)", "get", "/staff/", None),
    ("applications, page 1", "get", "/staff/applications/", None),
    ("applications, page 100", "get", "/staff/applications/?page=100", None),
    ("applications, one state", "get", "/staff/applications/?status=completed", None),
    ("applications, search", "get", "/staff/applications/?q=%E5%AD%97%E7%AC%AC00009", None),
    ("one application", "get", f"/staff/applications/{app.pk}/", None),
    ("institutions", "get", "/staff/institutions/", None),
    ("readers: a full ID (to the reader)", "post", "/staff/readers/", {"q": reader.national_id}),
    ("readers: a masked ID", "get", "/staff/readers/?q=" + reader.id_masked, None),
    ("readers: a name", "get", "/staff/readers/?q=" + reader.name[:2], None),
    ("readers: an e-mail", "get", "/staff/readers/?q=" + reader.email, None),
    ("one reader", "get", f"/staff/readers/{reader.pk}/", None),
    ("audit log", "get", "/staff/audit/", None),
]
for label, method, url, data in pages:
    call = getattr(client, method)
    response = call(url, data) if data else call(url)
    assert response.status_code in (200, 302), (label, response.status_code)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        response = call(url, data) if data else call(url)
        times.append(time.perf_counter() - start)
    print(f"{label}|{statistics.median(times) * 1000:.0f}")
"""


def main() -> None:
    print(
        f"\n== staff pages with {READERS:,} readers and {APPLICATIONS:,} applications (PostgreSQL) =="
    )
    url = fresh_database(DATABASE)
    try:
        start = time.perf_counter()
        counts = run_django(url, f"READERS = {READERS}\nAPPLICATIONS = {APPLICATIONS}\n" + FILL)
        filled = time.perf_counter() - start
        run_django(url, "from django.db import connection\nconnection.cursor().execute('ANALYZE')")
        lines = run_django(url, MEASURE).strip().splitlines()
    finally:
        drop_database(DATABASE)
    rows = [("page", "ms (median of 5)", "target")]
    for line in lines:
        label, ms = line.rsplit("|", 1)
        rows.append((label, ms, "< 200"))
    print(table(rows))
    print(f"(filled in {filled:.0f} s: {counts.strip()})")


if __name__ == "__main__":
    main()
