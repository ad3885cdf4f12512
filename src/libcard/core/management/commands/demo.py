from django.core.management.base import BaseCommand

from libcard.demo import (
    CONTACT_EMAIL,
    CONTACT_PASSWORD,
    READER_ID,
    READER_PASSWORD,
    SIP2_PASSWORD,
    SIP2_USER,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    load_demo,
)


class Command(BaseCommand):
    help = "Load the demo data (what `make run` uses); loading twice changes nothing."

    def handle(self, *args: object, **options: object) -> None:
        created = load_demo()
        self.stdout.write("示範資料已載入。" if created else "示範資料已存在，未變更。")
        self.stdout.write(f"  館員 staff: {STAFF_USERNAME} / {STAFF_PASSWORD}  → /staff/")
        self.stdout.write(f"  聯絡人 contact: {CONTACT_EMAIL} / {CONTACT_PASSWORD}  → /portal/")
        self.stdout.write(f"  讀者 reader: {READER_ID} / {READER_PASSWORD}  → /account/login/")
        self.stdout.write(f"  SIP2 平台 platform: {SIP2_USER} / {SIP2_PASSWORD}  → 127.0.0.1:6001")
