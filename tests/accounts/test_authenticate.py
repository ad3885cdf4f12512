"""Reader authentication and throttling: the one check behind the web login, the API and SIP2."""

import datetime as dt
import logging
import statistics
import time

import pytest
from django.utils import timezone

from libcard.accounts import throttle
from libcard.accounts.models import LoginThrottle
from libcard.accounts.services import Outcome, reader_authenticate
from libcard.core.models import AuditEntry
from libcard.readers.models import Reader
from tests.support.readers import INITIAL, OWN, make_reader

pytestmark = pytest.mark.django_db


def attempt(account="A123456789", password=OWN, *, address="198.51.100.7", channel="web"):
    return reader_authenticate(account=account, password=password, channel=channel, address=address)


def test_own_password_logs_in_and_account_is_normalised():
    make_reader(own_password=OWN)
    assert attempt("a１２３４５６７８９ ").outcome is Outcome.OK
    assert attempt(" A123-456-789").outcome is Outcome.OK


def test_initial_password_only_allows_choosing_a_new_one():
    make_reader()
    assert attempt(password=INITIAL).outcome is Outcome.MUST_CHANGE


def test_an_expired_initial_password_says_so_only_when_it_is_right():
    reader = make_reader()
    Reader.objects.filter(pk=reader.pk).update(
        initial_expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert attempt(password=INITIAL).outcome is Outcome.INITIAL_EXPIRED
    assert attempt(password="wrong-password").outcome is Outcome.INVALID


def test_unknown_account_and_wrong_password_get_the_same_answer():
    make_reader(own_password=OWN)
    unknown = attempt("B123456780", OWN)
    wrong = attempt("A123456789", "not the password")
    assert unknown == wrong  # the same object value: outcome INVALID, no reader, no delay


def test_after_the_free_failures_even_the_right_password_waits(settings):
    settings.THROTTLE_FREE_FAILURES = 3
    make_reader(own_password=OWN)
    for _ in range(4):
        assert attempt(password="wrong").outcome is Outcome.INVALID
    result = attempt(password=OWN)
    assert result.outcome is Outcome.THROTTLED and result.retry_after >= 1


def test_the_delay_grows_but_has_a_cap(settings):
    settings.THROTTLE_FREE_FAILURES = 1
    settings.THROTTLE_MAX_DELAY = 60
    items = throttle.counters(account_index="x" * 64, address="198.51.100.7")
    now = timezone.now()
    delays = []
    for _ in range(12):
        throttle.record_failure(items, now=now)
        row = LoginThrottle.objects.get(key=items[0].key)
        delays.append((row.blocked_until - now).total_seconds() if row.blocked_until else 0)
    assert delays[:4] == [0, 1, 2, 4]
    assert max(delays) == 60


def test_an_attacker_elsewhere_cannot_lock_the_reader_out(settings):
    settings.THROTTLE_FREE_FAILURES = 3
    make_reader(own_password=OWN)
    for _ in range(10):
        attempt(password="guess", address="203.0.113.66")
    assert attempt(password=OWN, address="203.0.113.66").outcome is Outcome.THROTTLED
    assert attempt(password=OWN, address="198.51.100.7").outcome is Outcome.OK


def test_counters_forget_after_a_quiet_day(settings):
    settings.THROTTLE_FREE_FAILURES = 1
    items = throttle.counters(account_index="y" * 64, address="198.51.100.7")
    long_ago = timezone.now() - dt.timedelta(days=2)
    for _ in range(5):
        throttle.record_failure(items, now=long_ago)
    throttle.record_failure(items)
    assert LoginThrottle.objects.get(key=items[0].key).failures == 1


def test_unknown_accounts_are_throttled_exactly_like_real_ones(settings):
    settings.THROTTLE_FREE_FAILURES = 2
    make_reader(own_password=OWN)
    for account in ("A123456789", "B123456780"):
        results = [attempt(account, "wrong").outcome for _ in range(4)]
        assert results == [Outcome.INVALID] * 3 + [Outcome.THROTTLED]


def test_every_attempt_is_audited_with_the_channel_and_a_masked_account():
    make_reader(own_password=OWN)
    attempt(password=OWN, channel="api")
    attempt(password="bad", channel="sip2")
    success = AuditEntry.objects.get(action="login.success")
    failure = AuditEntry.objects.get(action="login.failure")
    assert (success.channel, failure.channel) == ("api", "sip2")
    assert failure.details["account"] == "A12****789"


def test_logs_and_audit_never_hold_passwords_ids_or_birth_dates(caplog):
    make_reader(own_password=OWN)
    with caplog.at_level(logging.DEBUG):
        attempt(password=OWN)
        attempt(password="wrong secret 42")
        attempt(password=INITIAL)
    text = caplog.text + repr(list(AuditEntry.objects.values()))
    for secret in (OWN, "wrong secret 42", INITIAL, "A123456789", "1996-03-12", "19960312"):
        assert secret not in text


def test_no_timing_gap_between_unknown_account_and_wrong_password():
    """Measured: the difference of medians stays within the spread of the samples."""
    make_reader(own_password=OWN)
    make_reader("B287654326")  # a reader with only an initial password

    def timed(account):
        start = time.perf_counter()
        attempt(account, "wrong password", address=f"192.0.2.{len(samples[account]) % 200}")
        return time.perf_counter() - start

    samples = {"A123456789": [], "B287654326": [], "C123456780": []}
    for _ in range(12):
        for account in samples:
            samples[account].append(timed(account))
    LoginThrottle.objects.all().delete()
    medians = {account: statistics.median(values) for account, values in samples.items()}
    noise = max(statistics.pstdev(values) for values in samples.values())
    spread = max(medians.values()) - min(medians.values())
    floor = min(medians.values())
    # Each attempt costs one argon2id verification; the gap must be small against that.
    assert spread < max(3 * noise, 0.25 * floor), (medians, noise)


def test_a_hash_with_old_parameters_is_renewed_at_the_next_login(settings):
    import argon2

    from libcard.accounts.passwords import needs_rehash

    old = argon2.PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1).hash(OWN)
    reader = make_reader(own_password=OWN)
    Reader.objects.filter(pk=reader.pk).update(password=old)
    assert attempt(password=OWN).outcome is Outcome.OK
    reader.refresh_from_db()
    assert reader.password != old and not needs_rehash(reader.password)
    assert attempt(password=OWN).outcome is Outcome.OK
