"""Issuing 100,000 readers of one group application into PostgreSQL, whole job included
(re-reading the accepted file, readers, cards, roster secrets, the e-mail).

Target (workflows.md): at most 60 s on a 2-core machine.
"""

from __future__ import annotations

from bench.common import VAR, table
from bench.database import drop_database, fresh_database, run_django
from bench.generate import write_xlsx

DATABASE = "libcard_bench_issue"
ROWS = 100_000

SETUP = """
import datetime as dt
from pathlib import Path
from django.utils import timezone
from libcard.core.audit import Actor
from libcard.groups import services
from libcard.groups.models import ContactPerson, Institution
actor = Actor("system", label="bench")
school = Institution.objects.create(name="效能測試學校", code="999999")
contact = ContactPerson.objects.create(institution=school, name="聯絡人", email="c@example.edu.tw")
app = services.application_register(actor=actor, institution=school, contact=contact,
    letter_number="bench-1", letter_date=timezone.localdate() - dt.timedelta(days=5),
    received_on=timezone.localdate())
services.application_approve(actor=actor, application=app)
submission = services.submission_upload(actor=actor, application=app,
    filename="readers.xlsx", data=Path({path!r}).read_bytes())
app = services.submission_submit(actor=actor, submission=submission)
print(app.pk, app.status, submission.rows, submission.invalid)
"""

ISSUE = """
import time
from libcard.core.audit import Actor
from libcard.groups import services
from libcard.groups.issuance import cards_issue
from libcard.groups.models import GroupApplication
from libcard.readers.models import Card, Reader
app = GroupApplication.objects.get(pk={pk})
start = time.perf_counter()
services.application_issue(actor=Actor("system", label="bench"), application=app)
cards_issue(application_id=app.pk)
elapsed = time.perf_counter() - start
app.refresh_from_db()
print(elapsed, app.status, app.issued_count, Reader.objects.count(), Card.objects.count())
"""


def main() -> None:
    print(f"\n== issuing {ROWS:,} readers of one application into PostgreSQL ==")
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"clean-readers-{ROWS}.xlsx"
    if not path.exists():
        write_xlsx(path, ROWS, with_errors=False)
    url = fresh_database(DATABASE)
    try:
        import os

        os.environ["READERFILE_MAX_ROWS"] = str(ROWS * 2)
        pk, status, rows, invalid = run_django(url, SETUP.format(path=str(path))).split()
        assert status == "queued", (status, rows, invalid)
        elapsed, status, issued, _readers, _cards = run_django(url, ISSUE.format(pk=pk)).split()
    finally:
        drop_database(DATABASE)
    print(
        table(
            [
                ("measure", "value", "target"),
                ("readers issued", issued, f"{ROWS:,}"),
                ("whole job, seconds", f"{float(elapsed):.1f}", "≤ 60"),
                ("final state", status, "completed"),
            ]
        )
    )


if __name__ == "__main__":
    main()
