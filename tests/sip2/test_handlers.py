"""SIP2 sessions without sockets: login, status, patron information — the HTTP API's answers."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from libcard.core.audit import Actor
from libcard.core.models import AuditEntry
from libcard.platforms.models import Platform, PlatformReader
from libcard.platforms.services import platform_register, pseudonym_for
from libcard.readers.models import Card
from libcard.sip2 import handlers
from libcard.sip2.handlers import MAX_ERRORS_IN_A_ROW, MAX_LOGIN_FAILURES, Session
from libcard.sip2.protocol import (
    ChecksumStatus,
    Message,
    PatronStatus,
    compute_checksum,
    parse_response,
    supported_messages,
)
from tests.sip2.conftest import (
    SIP2_PASSWORD,
    SIP2_USER,
    answer,
    end_session,
    login,
    patron_information,
    patron_status,
    sc_status,
)
from tests.support.readers import INITIAL, OWN, make_reader

pytestmark = pytest.mark.django_db
ADDRESS = "127.0.0.1"


@pytest.fixture
def session(platform) -> Session:
    session = Session(address=ADDRESS)
    reply = session.handle(login())
    assert answer(reply.data).fixed["ok"] == "1"
    return session


def ask(session: Session, data: bytes) -> Message:
    reply = session.handle(data)
    assert not reply.close
    return answer(reply.data, session.encoding)


def without_date(message: Message) -> Message:
    fixed = {k: v for k, v in message.fixed.items() if k != "transaction_date"}
    return Message(message.command, fixed, message.fields)


def flags(message: Message) -> PatronStatus:
    return PatronStatus.from_field(message.fixed["patron_status"])


DIGITAL = PatronStatus(
    charge_privileges_denied=True, renewal_privileges_denied=True, hold_privileges_denied=True
)


# --- login --------------------------------------------------------------------------------


def test_the_right_login_is_accepted_and_audited_without_the_password(platform):
    session = Session(address=ADDRESS)
    reply = session.handle(login())
    assert reply.data == b"941AY0AZFDFD\r"
    assert session.platform == platform
    entry = AuditEntry.objects.get(action="sip2.login.success")
    assert (entry.channel, entry.actor_kind, entry.object_id) == (
        "sip2",
        "platform",
        str(platform.pk),
    )
    assert SIP2_PASSWORD not in str(entry.details) + entry.reason + entry.actor_label


@pytest.mark.parametrize(
    ("user", "password", "address"),
    [
        (SIP2_USER, "not the password", ADDRESS),
        ("nobody", SIP2_PASSWORD, ADDRESS),
        (SIP2_USER, SIP2_PASSWORD, "203.0.113.9"),  # right credentials, address not allowed
        ("", "", ADDRESS),
    ],
)
def test_a_wrong_login_gets_94_with_ok_0_and_is_audited(platform, user, password, address):
    session = Session(address=address)
    reply = session.handle(login(user, password))
    assert answer(reply.data).fixed["ok"] == "0"
    assert not reply.close and not session.logged_in
    entry = AuditEntry.objects.get(action="sip2.login.failure")
    assert entry.channel == "sip2" and entry.reason in ("credentials", "address")
    assert SIP2_PASSWORD not in str(entry.details) + entry.reason + entry.actor_label


def test_a_login_without_password_is_a_failed_login(platform):
    reply = Session(address=ADDRESS).handle(f"9300CN{SIP2_USER}|\r".encode())
    assert reply.data == b"940\r"


def test_the_connection_closes_after_repeated_failed_logins(platform):
    session = Session(address=ADDRESS)
    replies = [session.handle(login(password="wrong")) for _ in range(MAX_LOGIN_FAILURES)]
    assert [r.close for r in replies] == [False] * (MAX_LOGIN_FAILURES - 1) + [True]
    assert answer(replies[-1].data).fixed["ok"] == "0"  # the answer still goes out first


def test_login_guessing_is_throttled_even_for_the_right_password(platform, settings):
    settings.THROTTLE_FREE_FAILURES = 2
    for _ in range(3):
        Session(address=ADDRESS).handle(login(password="wrong"))
    reply = Session(address=ADDRESS).handle(login())
    assert answer(reply.data).fixed["ok"] == "0"
    assert AuditEntry.objects.filter(action="sip2.login.failure", reason="throttled").exists()
    # Another address is not slowed down by this one's guessing.
    assert answer(Session(address="127.0.0.2").handle(login()).data).fixed["ok"] == "1"


def test_an_inactive_platform_cannot_log_in(platform):
    Platform.objects.filter(pk=platform.pk).update(active=False)
    assert answer(Session(address=ADDRESS).handle(login()).data).fixed["ok"] == "0"


# --- before login ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [patron_information("A123456789", OWN), patron_status("A123456789", OWN), end_session("A1")],
)
def test_patron_messages_before_login_close_the_connection(platform, request_bytes):
    make_reader(own_password=OWN)
    reply = Session(address=ADDRESS).handle(request_bytes)
    assert reply == type(reply)(b"", close=True)
    assert not AuditEntry.objects.filter(action__startswith="login.").exists()


def test_status_before_login_says_off_line(platform):
    session = Session(address=ADDRESS)
    status = ask(session, sc_status())
    assert status.fixed["online_status"] == "N"
    assert "93" in (status.get("AF") or "")
    # …and the login may still follow on the same connection.
    assert answer(session.handle(login()).data).fixed["ok"] == "1"
    assert ask(session, sc_status()).fixed["online_status"] == "Y"


def test_a_resend_request_with_nothing_sent_closes(platform):
    assert Session(address=ADDRESS).handle(b"97AZFEF5\r").close


# --- status, end session, resend ------------------------------------------------------------


def test_status_lists_what_we_answer(session):
    status = ask(session, sc_status())
    assert status.fixed["online_status"] == "Y"
    assert status.fixed["checkin_ok"] == status.fixed["checkout_ok"] == "N"
    assert status.fixed["protocol_version"] == "2.00"
    assert status.get("BX") == supported_messages(["93", "99", "63", "23", "35", "97"])
    assert status.get("BX") == "YNNNYYYYYNNNNNNN"
    assert status.sequence == 1 and status.checksum is ChecksumStatus.OK


def test_end_session_answers_yes(session):
    ended = ask(session, end_session("A123456789"))
    assert ended.command == "36" and ended.fixed["end_session"] == "Y"
    assert ended.get("AA") == "A123456789" and ended.get("AO") == "lib"


def test_97_repeats_the_last_answer_byte_for_byte(session):
    make_reader(own_password=OWN)
    first = session.handle(patron_information("A123456789", OWN)).data
    assert session.handle(b"97AZFEF5\r").data == first
    assert session.handle(b"97\r").data == first


def test_sequence_and_checksum_are_echoed_only_when_the_request_used_them(session):
    with_trailer = session.handle(sc_status(sequence=7)).data
    message = answer(with_trailer)
    assert message.sequence == 7 and message.checksum is ChecksumStatus.OK
    assert with_trailer[-5:-1] == compute_checksum(with_trailer[:-5]).encode()
    without = session.handle(sc_status(sequence=None)).data
    assert b"AY" not in without and b"AZ" not in without


# --- damaged and malformed messages ---------------------------------------------------------


def test_a_bad_checksum_gets_96(session):
    good = patron_information("A123456789", OWN)
    damaged = good[:-5] + (b"0000" if good[-5:-1] != b"0000" else b"0001") + b"\r"
    reply = session.handle(damaged)
    assert reply.data == b"96AZFEF6\r" and not reply.close
    assert not AuditEntry.objects.filter(action__startswith="login.").exists()


def test_repeated_malformed_messages_close_the_connection(session):
    replies = [session.handle(b"63xx|garbage") for _ in range(MAX_ERRORS_IN_A_ROW)]
    assert all(r.data == b"96AZFEF6\r" for r in replies[:-1])
    assert replies[-1].close
    # a good message in between resets the count
    session = Session(address=ADDRESS)
    for _ in range(3 * MAX_ERRORS_IN_A_ROW):
        assert not session.handle(b"\xff\xfe").close
        assert not session.handle(sc_status()).close


@hypothesis_settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        # Messages that start like real ones reach further into the session.
        st.builds(
            lambda command, rest: command + rest,
            st.sampled_from([b"93", b"99", b"63", b"23", b"35", b"97"]),
            st.binary(max_size=200),
        ),
    ),
    logged_in=st.booleans(),
)
def test_no_bytes_make_a_session_raise(platform, data, logged_in):
    session = Session(address=ADDRESS)
    if logged_in:
        # As a successful 93 leaves it, without paying for an argon2id check every example.
        session.platform = platform
        session.encoding = platform.sip2_encoding
        session._login_secret = platform.sip2_password_hash
    reply = session.handle(data)
    assert isinstance(reply.data, bytes) and isinstance(reply.close, bool)
    assert reply.data or reply.close


# --- patrons: the answers ---------------------------------------------------------------------


def test_the_right_password_gives_a_valid_patron_with_name_card_and_pseudonym(session, platform):
    reader = make_reader(own_password=OWN, name="王小明")
    info = ask(session, patron_information("a123456789", OWN))
    assert info.command == "64"
    assert (info.get("BL"), info.get("CQ"), info.get("AE")) == ("Y", "Y", "王小明")
    assert info.get("AA") == "a123456789"  # the account as the client sent it
    assert info.get("AO") == "lib"
    assert info.get("PC") == "digital"
    assert not info.has("PA")  # a card that does not expire
    assert info.get("XI") == pseudonym_for(platform, reader)
    assert flags(info) == DIGITAL
    assert info.fixed["charged_items_count"] == "0000"
    assert AuditEntry.objects.filter(action="login.success", channel="sip2").count() == 1


def test_the_pseudonym_link_is_made_once_and_then_remembered(session, platform, monkeypatch):
    reader = make_reader(own_password=OWN)
    first = ask(session, patron_information("A123456789", OWN)).get("XI")
    link = PlatformReader.objects.get()
    assert (link.platform_id, link.reader_id, link.pseudonym) == (platform.pk, reader.pk, first)
    calls = []
    monkeypatch.setattr(handlers, "pseudonym_for", lambda *args: calls.append(args) or "?")
    assert ask(session, patron_information("A123456789", OWN)).get("XI") == first
    assert calls == []


def test_patron_status_answers_the_same_as_patron_information(session):
    make_reader(own_password=OWN)
    status = ask(session, patron_status("A123456789", OWN))
    info = ask(session, patron_information("A123456789", OWN))
    assert status.command == "24"
    assert status.fields == info.fields
    assert status.fixed["patron_status"] == info.fixed["patron_status"]


def test_a_physical_card_has_no_denied_privileges_and_an_expiry(session):
    make_reader(own_password=OWN, card_type=Card.Type.PHYSICAL, expires_on=dt.date(2031, 7, 31))
    info = ask(session, patron_information("A123456789", OWN))
    assert flags(info) == PatronStatus()
    assert info.get("PC") == "physical"
    assert info.get("PA") == "20310731    235959"


def test_a_wrong_password_answers_exactly_as_an_unknown_patron(session):
    make_reader(own_password=OWN, card_status=Card.Status.SUSPENDED)
    wrong = ask(session, patron_information("A123456789", "not the password"))
    unknown = ask(session, patron_information("B123456780", "x"))
    assert (wrong.get("BL"), wrong.get("CQ"), wrong.get("AE")) == ("N", "N", "")
    assert not wrong.has("XI") and not wrong.has("PC") and not wrong.has("AF")
    # The same bytes but for the account each echoes (and the time of day).
    as_if_same_account = [
        (code, "A123456789" if code == "AA" else value) for code, value in unknown.fields
    ]
    same_account = Message(unknown.command, unknown.fixed, as_if_same_account)
    assert without_date(wrong) == without_date(same_account)
    assert flags(wrong).charge_privileges_denied and not flags(wrong).card_reported_lost


@pytest.mark.parametrize("sent", [None, ""])
def test_without_a_password_nothing_is_checked_or_revealed(session, sent):
    make_reader(own_password=OWN)
    info = ask(session, patron_information("A123456789", sent))
    assert (info.get("BL"), info.get("CQ")) == ("N", "N")
    assert not AuditEntry.objects.filter(action__startswith="login.").exists()


@pytest.mark.parametrize(
    ("status", "expires_on", "words"),
    [
        (Card.Status.SUSPENDED, None, "suspended"),
        (Card.Status.CANCELLED, None, "cancelled"),
        (Card.Status.EXPIRED, dt.date(2020, 1, 31), "expired"),
        (Card.Status.ACTIVE, dt.date(2020, 1, 31), "expired"),  # active, but past its date
    ],
)
def test_a_card_that_is_not_valid_says_so_after_the_right_password(
    session, status, expires_on, words
):
    make_reader(own_password=OWN, card_status=status, expires_on=expires_on)
    info = ask(session, patron_information("A123456789", OWN))
    assert (info.get("BL"), info.get("CQ")) == ("Y", "Y")
    assert flags(info).card_reported_lost and flags(info).charge_privileges_denied
    assert words in info.get("AF")


def test_an_initial_password_is_right_but_not_a_platform_login(session):
    make_reader()  # only the initial password
    info = ask(session, patron_information("A123456789", INITIAL))
    assert (info.get("BL"), info.get("CQ")) == ("Y", "N")
    assert "new password" in info.get("AF")
    assert flags(info).charge_privileges_denied and flags(info).hold_privileges_denied


def test_a_throttled_account_says_try_later_to_everyone_alike(session, settings):
    settings.THROTTLE_FREE_FAILURES = 1
    make_reader(own_password=OWN)
    for _ in range(3):
        ask(session, patron_information("A123456789", "wrong"))
    info = ask(session, patron_information("A123456789", OWN))
    assert (info.get("BL"), info.get("CQ")) == ("N", "N")
    assert "try again in" in info.get("AF")


def test_the_platform_sees_only_what_it_may(platform):
    Platform.objects.filter(pk=platform.pk).update(
        may_name=False, may_card_type=False, may_expiry=False
    )
    session = Session(address=ADDRESS)
    session.handle(login())
    make_reader(own_password=OWN, expires_on=dt.date(2031, 1, 1))
    info = ask(session, patron_information("A123456789", OWN))
    assert (info.get("BL"), info.get("CQ"), info.get("AE")) == ("Y", "Y", "")
    assert not info.has("PC") and not info.has("PA") and not info.has("BE")
    assert info.has("XI")


def test_two_platforms_get_different_pseudonyms(session):
    make_reader(own_password=OWN)
    platform_register(
        actor=Actor("staff"),
        name="資料庫",
        sip2_user="database",
        sip2_password="another long password",
        allow=["127.0.0.1"],
    )
    other = Session(address=ADDRESS)
    assert answer(other.handle(login("database", "another long password")).data).fixed["ok"] == "1"
    first = ask(session, patron_information("A123456789", OWN)).get("XI")
    second = ask(other, patron_information("A123456789", OWN)).get("XI")
    assert first and second and first != second
    assert PlatformReader.objects.count() == 2


def test_a_cp850_platform_gets_english_and_no_error_for_a_chinese_name(platform):
    Platform.objects.filter(pk=platform.pk).update(sip2_encoding="cp850")
    session = Session(address=ADDRESS)
    session.handle(login())
    assert session.encoding == "cp850"
    make_reader(own_password=OWN, name="王小明", card_status=Card.Status.SUSPENDED)
    data = session.handle(patron_information("A123456789", OWN, encoding="cp850")).data
    info = parse_response(data, encoding="cp850")
    assert info.get("AE") == "???"
    assert info.get("AF") == "The library card is suspended."


def test_a_platform_switched_off_mid_session_is_cut_off(session, platform, monkeypatch):
    make_reader(own_password=OWN)
    assert not session.handle(patron_information("A123456789", OWN)).close
    Platform.objects.filter(pk=platform.pk).update(active=False)
    # Seen at the next look at the platform, which a busy session takes every few seconds.
    monkeypatch.setattr(handlers, "PLATFORM_RECHECK_SECONDS", 0)
    assert session.handle(patron_information("A123456789", OWN)).close


def test_a_new_sip2_password_ends_open_sessions(session, platform, monkeypatch):
    from libcard.platforms.services import platform_set_sip2

    monkeypatch.setattr(handlers, "PLATFORM_RECHECK_SECONDS", 0)
    platform_set_sip2(
        actor=Actor("staff"), platform=platform, user=SIP2_USER, password="a brand new password"
    )
    assert session.handle(sc_status()).data  # status needs no platform data
    assert session.handle(patron_information("A123456789", OWN)).close


def test_a_name_with_a_delimiter_cannot_inject_fields(session):
    make_reader(own_password=OWN, name="王|BLY")
    info = ask(session, patron_information("A123456789", OWN))
    assert info.get("AE") == "王 BLY" and info.get_all("BL") == ["Y"]


def test_logs_never_hold_passwords_or_full_ids(session, caplog):
    caplog.set_level(logging.DEBUG)
    make_reader(own_password=OWN)
    ask(session, patron_information("A123456789", OWN))
    ask(session, patron_information("A123456789", "a wrong password"))
    Session(address=ADDRESS).handle(login(password="a wrong sip2 password"))
    text = caplog.text
    assert "A12****789" in text
    for secret in ("A123456789", OWN, "a wrong password", SIP2_PASSWORD, "a wrong sip2 password"):
        assert secret not in text
