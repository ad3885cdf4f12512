"""SIP2 sessions: one request in, one answer out, from the same services as the HTTP API.

No sockets here. The server (``libcard.sip2.server``) frames the bytes of a connection and
hands each message to ``Session.handle`` in a worker thread, because answering needs the
database and one argon2id verification. ``handle`` promises that for any bytes it returns a
``Reply`` — what to send, and whether to close the connection afterwards.

Decisions that platforms see (docs/sip2.md tells vendors the same):

- Login first. A 93 with the wrong user, password or client address gets ``94`` ok=0; after
  three failed logins on one connection it is closed. Login attempts count against the same
  throttle as readers' logins (the SIP2 user from this address, the address, the user from
  everywhere), so guessing slows down without anyone being locked out for good.
- Before a successful login, 99 gets an honest "off-line" 98 (clients understand that and show
  it to their operator), 97 repeats what we sent; 63, 23 and 35 close the connection. We do not
  answer them: every possible 64/24 says something about the patron ("not valid", "wrong
  password"), and a platform that forgot to log in must see a connection error, not tell its
  readers that their password is wrong.
- No account enumeration: ``BL`` (valid patron) is ``Y`` only after the reader's password was
  right. A wrong password, a missing one and an unknown account get the very same answer —
  ``BLN``, ``CQN``, an empty ``AE`` and all privileges denied — just as the HTTP API answers
  ``{"valid": false}`` for both. A blocked, expired or cancelled card says so only after the
  password was right (``BLY``, ``CQY``, privileges denied, "card reported lost", a screen
  message).
- ``CQ`` is always sent and is ``Y`` only for the reader's own password (``Outcome.OK``). An
  initial password is right but only opens the website, where it must be replaced: ``BLY``,
  ``CQN`` and a screen message saying so.
- The pseudonymous reader identifier goes in ``XI`` (see ``PSEUDONYM_FIELD``); ``AA`` echoes
  the account as the platform sent it, because clients match answers to questions by it.
- A valid digital card: charge, renewal and hold privileges denied (it opens digital resources
  only, no physical loans), with ``BLY`` and ``CQY``. A physical card: no flags.
- A malformed message gets ``96`` (please resend); after five malformed messages in a row the
  connection is closed, so a client stuck resending garbage does not loop for ever.

Nothing here logs a password (AD, CO) or a full ID number: accounts are logged masked.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from libcard.accounts import throttle
from libcard.accounts.services import AuthResult, Outcome, reader_authenticate
from libcard.core.audit import Actor, audit
from libcard.core.crypto import keyring
from libcard.identity.numbers import mask_id
from libcard.platforms.models import Platform
from libcard.platforms.services import (
    card_view,
    platform_by_sip2_login,
    pseudonym_for,
    reader_attributes,
)
from libcard.readers.models import Reader
from libcard.sip2.protocol import (
    DEFAULT_ENCODING,
    ChecksumStatus,
    ErrorCode,
    Message,
    PatronStatus,
    ProtocolError,
    format_response,
    format_sip_datetime,
    format_sip_expiry,
    parse_request,
    supported_messages,
    yn,
)

logger = logging.getLogger("libcard.sip2")

# What we answer; BX in the 98 lists exactly these.
SUPPORTED_COMMANDS = ("93", "99", "63", "23", "35", "97")
# SIP2 2.00 has no field for a stable, pseudonymous patron identifier. "XI" is unassigned in
# the standard (codes outside it are the documented way to extend a message, as PA/PB/PC are);
# AA cannot carry it, because clients match an answer to their question by the AA they sent.
PSEUDONYM_FIELD = "XI"
MAX_LOGIN_FAILURES = 3  # per connection; the throttle counts across connections
MAX_ERRORS_IN_A_ROW = 5  # malformed messages (each answered 96) before we close
# The HTTP API's limits (platforms/api.py): longer values are never a real account/password.
MAX_ACCOUNT = 64
MAX_PASSWORD = 256
MAX_USER = 50  # Platform.sip2_user
# How often an open session re-reads its platform (active? same SIP2 password? address still
# allowed?): often enough that staff switching a platform off takes effect at once in
# practice, rarely enough that a busy connection does not pay a query per reader.
PLATFORM_RECHECK_SECONDS = 2.0
# 98: tenths of a second the client should wait for an answer ("999": not specified — an
# argon2id queue under load has no fixed bound) and resends it may ask for (below
# MAX_ERRORS_IN_A_ROW, so a client that uses them all is not cut off).
TIMEOUT_PERIOD = "999"
RETRIES_ALLOWED = "003"

_UNSAFE = re.compile(r"[|\x00-\x1f\x7f]")

# pseudonym_for(platform, reader) is a keyed hash of the two primary keys that also makes sure
# the link row exists (for GET /api/v1/readers/<pseudonym>). Both facts hold for the life of
# the process once established (rows go only with the reader or the platform, primary keys are
# never reused, the key is read at start), so the server asks the service once per pair: on a
# busy connection that is one query and one transaction fewer for every reader.
_PSEUDONYMS: dict[tuple[int, int], str] = {}
_PSEUDONYMS_MAX = 200_000

# Screen messages (AF): Traditional Chinese and English for UTF-8 sessions, English where the
# session encoding (cp850) cannot carry Chinese.
SCREEN = {
    "login_required": ("請先登入（93）。", "Log in (93) first."),
    "throttled": (
        "嘗試次數過多，請於 {seconds} 秒後再試。",
        "Too many attempts; try again in {seconds} seconds.",
    ),
    "must_change": (
        "請先到圖書館網站以初始密碼設定新密碼。",
        "Set a new password on the library's website first.",
    ),
    "initial_expired": (
        "初始密碼已過期，請洽圖書館。",
        "The initial password has expired; please contact the library.",
    ),
    "suspended": ("借閱證已停權。", "The library card is suspended."),
    "expired": ("借閱證已過期。", "The library card has expired."),
    "cancelled": ("借閱證已註銷。", "The library card has been cancelled."),
    "none": ("沒有有效的借閱證。", "There is no valid library card."),
}

_ALL_DENIED = PatronStatus(
    charge_privileges_denied=True,
    renewal_privileges_denied=True,
    recall_privileges_denied=True,
    hold_privileges_denied=True,
)
_CARD_NOT_VALID = PatronStatus(
    charge_privileges_denied=True,
    renewal_privileges_denied=True,
    recall_privileges_denied=True,
    hold_privileges_denied=True,
    card_reported_lost=True,
)
# A digital card opens digital resources only: no physical loans, so nothing to renew or hold.
_DIGITAL_CARD = PatronStatus(
    charge_privileges_denied=True,
    renewal_privileges_denied=True,
    hold_privileges_denied=True,
)


@dataclass(frozen=True, slots=True)
class Reply:
    """What the server does with one message: send ``data`` (if any), then maybe close."""

    data: bytes = b""
    close: bool = False


def clean(value: str, limit: int = 255) -> str:
    """A value that cannot break the framing: no "|", no control characters, bounded."""
    return _UNSAFE.sub(" ", value)[:limit]


class Session:
    """One TCP connection's conversation: logged-in platform, encoding, last answer."""

    def __init__(self, *, address: str) -> None:
        self.address = address
        self.platform: Platform | None = None
        self.encoding = DEFAULT_ENCODING
        self.last_response: bytes | None = None
        self.failed_logins = 0
        self.errors_in_a_row = 0
        # The platform's SIP2 secret when it logged in: a new password ends old sessions.
        self._login_secret = ""
        self._checked_at = 0.0  # time.monotonic() of the last look at the platform

    @property
    def logged_in(self) -> bool:
        return self.platform is not None

    # --- entry point ----------------------------------------------------------------------

    def handle(self, raw: bytes) -> Reply:
        try:
            request = self._parse(raw)
        except ProtocolError as error:
            return self._malformed(error)
        self.errors_in_a_row = 0
        try:
            return self._dispatch(request)
        except Exception:
            # Whatever failed (the database, a bug), the client gets a closed connection rather
            # than a made-up answer about a reader. The log names the command, never values.
            logger.exception("sip2 %s: answering %s failed", self.address, request.command)
            return Reply(close=True)

    def _parse(self, raw: bytes) -> Message:
        try:
            return parse_request(raw, encoding=self.encoding)
        except ProtocolError as error:
            # Before login we cannot know a cp850 platform: its 93 may not be valid UTF-8.
            if error.code is ErrorCode.DECODE and not self.logged_in:
                return parse_request(raw, encoding="cp850")
            raise

    def _malformed(self, error: ProtocolError) -> Reply:
        self.errors_in_a_row += 1
        logger.info("sip2 %s: malformed message (%s)", self.address, error.code)
        if self.errors_in_a_row >= MAX_ERRORS_IN_A_ROW:
            return Reply(close=True)
        # 96 never carries a sequence number; it carries a checksum whenever they are in use,
        # and a client that does not check them reads "96" and ignores the rest.
        data = format_response(Message("96"), checksum=True, encoding=self.encoding)
        self.last_response = data
        return Reply(data)

    def _dispatch(self, request: Message) -> Reply:
        command = request.command
        if command == "97":
            if self.last_response is None:
                return Reply(close=True)  # nothing to repeat, and 97 is no login
            return Reply(self.last_response)
        if command == "93":
            return self._login(request)
        if command == "99":
            return self._status(request)
        if self.platform is None:
            logger.info("sip2 %s: %s before login, connection closed", self.address, command)
            return Reply(close=True)
        if not self._still_allowed():
            logger.info("sip2 %s: platform no longer allowed, connection closed", self.address)
            self.platform = None
            return Reply(close=True)
        if command in ("63", "23"):
            return self._patron(request)
        return self._end_session(request)  # 35: parse_request knows no other request

    # --- answers --------------------------------------------------------------------------

    def _answer(self, response: Message, request: Message) -> Reply:
        """Format, remember for 97, and echo the error detection the request used."""
        sequence = request.sequence
        checksum = sequence is not None or request.checksum is ChecksumStatus.OK
        data = format_response(
            response,
            sequence=sequence,
            checksum=checksum,
            encoding=self.encoding,
            errors="replace",  # a Chinese name in a cp850 session becomes "???", not an error
        )
        self.last_response = data
        return Reply(data)

    def _screen(self, key: str, **values: object) -> str:
        chinese, english = SCREEN[key]
        if self.encoding == "utf-8":
            text = f"{chinese} {english}"
        else:
            text = english
        return clean(text.format(**values))

    def _now(self) -> str:
        return format_sip_datetime(timezone.localtime())

    def _login(self, request: Message) -> Reply:
        user = request.get("CN") or ""
        password = request.get("CO") or ""
        if len(user) > MAX_USER:
            user = ""  # cannot be anyone's; still costs the same verification below
        # A keyed hash, so that throttle keys are neither guessable nor raw client input.
        key = "sip2-" + keyring().keyed_hash("sip2-login", user)[:40]
        counters = throttle.counters(account_index=key, address=self.address)
        ip = _ip_or_none(self.address)
        platform: Platform | None = None
        wait = throttle.retry_after(counters)
        if wait:
            why = "throttled"
        else:
            platform = platform_by_sip2_login(user, password)
            why = "credentials" if platform is None else ""
            if platform is not None and not platform.allows_address(self.address):
                platform, why = None, "address"
        if platform is None:
            if not wait:
                throttle.record_failure(counters)
            audit(
                Actor("anonymous", "", user, channel="sip2", ip=ip),
                "sip2.login.failure",
                reason=why,
            )
            logger.info("sip2 %s: login refused (%s)", self.address, why)
            # A failed login ends whatever session this connection had.
            self.platform = None
            self.encoding = DEFAULT_ENCODING
            self.failed_logins += 1
            reply = self._answer(Message("94", {"ok": "0"}), request)
            if self.failed_logins >= MAX_LOGIN_FAILURES:
                return Reply(reply.data, close=True)
            return reply
        throttle.record_success(counters)
        audit(
            Actor("platform", str(platform.pk), platform.name, channel="sip2", ip=ip),
            "sip2.login.success",
            platform,
        )
        logger.info("sip2 %s: platform %s logged in", self.address, platform.pk)
        self.platform = platform
        self.encoding = platform.sip2_encoding
        self.failed_logins = 0
        self._login_secret = platform.sip2_password_hash
        self._checked_at = time.monotonic()
        return self._answer(Message("94", {"ok": "1"}), request)

    def _still_allowed(self) -> bool:
        """Staff may deactivate a platform, change its SIP2 password or its addresses while a
        session is open: a request after PLATFORM_RECHECK_SECONDS sees it."""
        assert self.platform is not None
        now = time.monotonic()
        if now - self._checked_at < PLATFORM_RECHECK_SECONDS:
            return True
        self._checked_at = now
        platform = Platform.objects.filter(pk=self.platform.pk, active=True).first()
        if platform is None or platform.sip2_password_hash != self._login_secret:
            return False
        if not platform.allows_address(self.address):
            return False
        self.platform = platform  # may_* and the encoding as they are now
        self.encoding = platform.sip2_encoding
        return True

    def _status(self, request: Message) -> Reply:
        online = self.logged_in
        fields = [
            ("AO", ""),
            ("AM", clean(settings.LIBRARY_NAME)),
            ("BX", supported_messages(SUPPORTED_COMMANDS)),
        ]
        if not online:
            fields.append(("AF", self._screen("login_required")))
        response = Message(
            "98",
            {
                "online_status": yn(online),
                "checkin_ok": "N",
                "checkout_ok": "N",
                "acs_renewal_policy": "N",
                "status_update_ok": "N",
                "offline_ok": "N",
                "timeout_period": TIMEOUT_PERIOD,
                "retries_allowed": RETRIES_ALLOWED,
                "date_time_sync": self._now(),
                "protocol_version": "2.00",
            },
            fields,
        )
        return self._answer(response, request)

    def _end_session(self, request: Message) -> Reply:
        response = Message(
            "36",
            {"end_session": "Y", "transaction_date": self._now()},
            [("AO", clean(request.get("AO") or "")), ("AA", clean(request.get("AA") or ""))],
        )
        return self._answer(response, request)

    def _patron(self, request: Message) -> Reply:
        platform = self.platform
        assert platform is not None
        account = request.get("AA") or ""
        password = request.get("AD") or ""
        result: AuthResult | None = None
        # Without a password there is nothing to check and nothing to reveal: the answer does
        # not depend on the account, so it is not looked up (nor counted as a failure).
        if account and password and len(account) <= MAX_ACCOUNT and len(password) <= MAX_PASSWORD:
            result = reader_authenticate(
                account=account,
                password=password,
                channel="sip2",
                # The reader's own address is unknown here: throttle per platform, as the API.
                address=f"platform:{platform.pk}",
                actor_label=platform.name,
            )
        fixed, fields = self._patron_fields(request, platform, result)
        logger.info(
            "sip2 %s: %s for %s: %s",
            self.address,
            request.command,
            mask_id(account),
            result.outcome.value if result else "no password",
        )
        language = request.fixed.get("language", "000")
        common = {
            "patron_status": fixed.to_field(),
            "language": language,
            "transaction_date": self._now(),
        }
        if request.command == "63":
            counts = dict.fromkeys(
                (
                    "hold_items_count",
                    "overdue_items_count",
                    "charged_items_count",
                    "fine_items_count",
                    "recall_items_count",
                    "unavailable_holds_count",
                ),
                "0000",
            )
            return self._answer(Message("64", {**common, **counts}, fields), request)
        return self._answer(Message("24", common, fields), request)

    def _patron_fields(
        self, request: Message, platform: Platform, result: AuthResult | None
    ) -> tuple[PatronStatus, list[tuple[str, str]]]:
        fields = [("AO", clean(request.get("AO") or "")), ("AA", clean(request.get("AA") or ""))]
        if result is None or not result.password_right or result.reader is None:
            # Unknown account, wrong or missing password, throttled: one answer for all.
            fields += [("AE", ""), ("BL", "N"), ("CQ", "N")]
            if result is not None and result.outcome is Outcome.THROTTLED:
                fields.append(("AF", self._screen("throttled", seconds=result.retry_after)))
            return _ALL_DENIED, fields

        reader = result.reader
        valid, card, allows = card_view(platform, reader)
        attributes = reader_attributes(platform, reader)
        password_ok = result.outcome is Outcome.OK
        if not valid:
            flags = _CARD_NOT_VALID
        elif not password_ok:
            flags = _ALL_DENIED  # a client that ignores CQ must still not let them in
        elif "physical" in allows:
            flags = PatronStatus()
        else:
            flags = _DIGITAL_CARD
        fields += [
            ("AE", clean(attributes.get("name", ""))),
            ("BL", "Y"),
            ("CQ", yn(password_ok)),
        ]
        if "email" in attributes:
            fields.append(("BE", clean(attributes["email"])))
        if card["expires"]:
            fields.append(("PA", format_sip_expiry(dt.date.fromisoformat(card["expires"]))))
        if card["type"]:
            fields.append(("PC", card["type"]))
        fields.append((PSEUDONYM_FIELD, _pseudonym(platform, reader)))
        screens = []
        if result.outcome is Outcome.MUST_CHANGE:
            screens.append(self._screen("must_change"))
        elif result.outcome is Outcome.INITIAL_EXPIRED:
            screens.append(self._screen("initial_expired"))
        if not valid:
            screens.append(self._screen(card["status"] if card["status"] in SCREEN else "none"))
        if screens:
            fields.append(("AF", clean(" ".join(screens))))
        return flags, fields


def _pseudonym(platform: Platform, reader: Reader) -> str:
    key = (platform.pk, reader.pk)
    value = _PSEUDONYMS.get(key)
    if value is None:
        value = pseudonym_for(platform, reader)
        if len(_PSEUDONYMS) >= _PSEUDONYMS_MAX:
            _PSEUDONYMS.clear()
        _PSEUDONYMS[key] = value
    return value


def _ip_or_none(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
