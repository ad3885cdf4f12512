"""SIP2 2.00 messages: parse what clients send, format our answers — pure, no sockets, no Django.

The message layouts follow "3M Standard Interchange Protocol Version 2.00", the document
every SIP2 implementation cites; they were cross-checked against the field tables of
JSIP2 (petkivim/jsip2 docs), FOLIO edge-sip2 and the PyPI ``sip2`` client, and against real
messages quoted in public test suites. They live in one table, ``LAYOUTS``: the parser, the
formatter and the tests all read it, so a layout is fixed in one place.

Only the messages libcard serves are in the table (login, status, patron information and status,
end session, resend). Anything else is refused as ``unknown_command``.

Untrusted bytes meet this module first, so ``parse_message`` has one promise: for *any* byte
string it returns a ``Message`` or raises ``ProtocolError`` — nothing else escapes. Formatting
is our own output, so mistakes there raise ``ValueError`` loudly instead.
"""

from __future__ import annotations

import codecs
import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType

SUPPORTED_ENCODINGS = ("utf-8", "cp850")
DEFAULT_ENCODING = "utf-8"
# Real messages are a few hundred bytes; 4 KiB leaves room for long screen messages while a
# client that never sends CR cannot make us buffer without end.
DEFAULT_MAX_LENGTH = 4096

FIELD_DELIMITER = "|"
TERMINATOR = b"\r"

# Fields whose values must never reach a log: terminal password, patron password, login password.
SECRET_FIELDS = frozenset({"AC", "AD", "CO"})
# The error-detection trailer; never an ordinary field, so a value cannot pose as one.
TRAILER_FIELDS = frozenset({"AY", "AZ"})


class ErrorCode(enum.StrEnum):
    TOO_SHORT = "too_short"
    UNKNOWN_COMMAND = "unknown_command"
    BAD_FIXED_FIELD = "bad_fixed_field"
    BAD_FIELD = "bad_field"
    BAD_CHECKSUM = "bad_checksum"
    DECODE = "decode"
    FRAMING = "framing"
    OVERSIZED = "oversized"
    BAD_DATE = "bad_date"


class ProtocolError(Exception):
    """A message we cannot accept. ``code`` is for machines, the text for people.

    The text never quotes field values: a malformed message may carry a password in any
    position, and these errors end up in logs.
    """

    def __init__(self, code: ErrorCode, detail: str = "", *, sequence: int | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail
        # Only set for a bad checksum, where the trailer itself was readable.
        self.sequence = sequence

    @property
    def wants_resend(self) -> bool:
        """True when the right answer is 96 (Request SC Resend): the message was damaged."""
        return self.code is ErrorCode.BAD_CHECKSUM


class ChecksumStatus(enum.StrEnum):
    ABSENT = "absent"
    OK = "ok"
    # There is no BAD: a message with a wrong checksum is refused with ErrorCode.BAD_CHECKSUM,
    # because nothing in a damaged message can be trusted, not even its command.


# --- The layout table ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FixedField:
    name: str
    length: int
    pattern: re.Pattern[str]  # the whole value must match; the length is implied by it


@dataclass(frozen=True, slots=True)
class Layout:
    command: str
    name: str
    is_request: bool
    fixed: tuple[FixedField, ...] = ()
    required: tuple[str, ...] = ()  # variable fields the spec requires (they may be empty)
    # Variable fields the spec lists as optional. Documentation only: the spec says to ignore
    # unknown field codes, and vendors add their own, so any code is accepted.
    optional: tuple[str, ...] = ()
    response: str | None = None  # the command that answers this request
    # 96 and 97 never carry a sequence number, only a checksum (spec, "Checksums and Sequence
    # Numbers").
    sequenced: bool = True

    @property
    def fixed_length(self) -> int:
        """Characters from the start of the message to the first variable field."""
        return 2 + sum(f.length for f in self.fixed)


def _fixed(name: str, length: int, pattern: str) -> FixedField:
    return FixedField(name, length, re.compile(pattern, re.ASCII))


# Value patterns. Where real servers and clients depart from the letter of the spec in a
# harmless way (blank counts, a "0000" zone, "N" in a Y/blank flag field) we accept it; what
# we refuse is what shows that fixed fields are missing or shifted, such as a "|" or letters
# inside a number.
_CHAR = r"[\x20-\x7b\x7d\x7e]"  # one printable ASCII character other than "|"
_YN = r"[YN]"
_DIGIT = r"[0-9]"
_LANGUAGE = r"[0-9]{3}| {3}"
_COUNT = r"[0-9]{4}| {4}"
_VERSION = r"[0-9]\.[0-9]{2}"
# YYYYMMDD, a 4-character zone (blanks = local time, "   Z" = UTC), HHMMSS. All blanks is
# accepted as "no date" — the request date is informational and we never act on it.
_DATE = r"[0-9]{8}[ 0-9A-Z]{4}[0-9]{6}| {18}"


def _flags(length: int) -> str:
    return f"[YN ]{{{length}}}"


_TRANSACTION_DATE = _fixed("transaction_date", 18, _DATE)
_LANGUAGE_FIELD = _fixed("language", 3, _LANGUAGE)
_PATRON_STATUS = _fixed("patron_status", 14, _flags(14))

LAYOUTS: dict[str, Layout] = {
    layout.command: layout
    for layout in (
        Layout(
            "93",
            "login",
            is_request=True,
            fixed=(_fixed("uid_algorithm", 1, _CHAR), _fixed("pwd_algorithm", 1, _CHAR)),
            required=("CN", "CO"),
            optional=("CP",),
            response="94",
        ),
        Layout("94", "login_response", is_request=False, fixed=(_fixed("ok", 1, "[01]"),)),
        Layout(
            "99",
            "sc_status",
            is_request=True,
            fixed=(
                _fixed("status_code", 1, _DIGIT),
                _fixed("max_print_width", 3, r"[0-9]{3}"),
                _fixed("protocol_version", 4, _VERSION),
            ),
            response="98",
        ),
        Layout(
            "98",
            "acs_status",
            is_request=False,
            fixed=(
                _fixed("online_status", 1, _YN),
                _fixed("checkin_ok", 1, _YN),
                _fixed("checkout_ok", 1, _YN),
                _fixed("acs_renewal_policy", 1, _YN),
                _fixed("status_update_ok", 1, _YN),
                _fixed("offline_ok", 1, _YN),
                _fixed("timeout_period", 3, r"[0-9]{3}"),
                _fixed("retries_allowed", 3, r"[0-9]{3}"),
                _fixed("date_time_sync", 18, _DATE),
                _fixed("protocol_version", 4, _VERSION),
            ),
            required=("AO", "BX"),
            optional=("AM", "AN", "AF", "AG"),
        ),
        Layout(
            "63",
            "patron_information",
            is_request=True,
            fixed=(_LANGUAGE_FIELD, _TRANSACTION_DATE, _fixed("summary", 10, _flags(10))),
            required=("AO", "AA"),
            optional=("AC", "AD", "BP", "BQ"),
            response="64",
        ),
        Layout(
            "64",
            "patron_information_response",
            is_request=False,
            fixed=(
                _PATRON_STATUS,
                _LANGUAGE_FIELD,
                _TRANSACTION_DATE,
                _fixed("hold_items_count", 4, _COUNT),
                _fixed("overdue_items_count", 4, _COUNT),
                _fixed("charged_items_count", 4, _COUNT),
                _fixed("fine_items_count", 4, _COUNT),
                _fixed("recall_items_count", 4, _COUNT),
                _fixed("unavailable_holds_count", 4, _COUNT),
            ),
            required=("AO", "AA", "AE"),
            optional=(
                *("BZ", "CA", "CB", "BL", "CQ", "BH", "BV", "CC"),
                *("AS", "AT", "AU", "AV", "BU", "CD", "BD", "BE", "BF", "AF", "AG"),
                *("PA", "PB", "PC"),  # extensions: expiry, birth date, patron class
            ),
        ),
        Layout(
            "23",
            "patron_status",
            is_request=True,
            fixed=(_LANGUAGE_FIELD, _TRANSACTION_DATE),
            required=("AO", "AA", "AC", "AD"),
            response="24",
        ),
        Layout(
            "24",
            "patron_status_response",
            is_request=False,
            fixed=(_PATRON_STATUS, _LANGUAGE_FIELD, _TRANSACTION_DATE),
            required=("AO", "AA", "AE"),
            optional=("BL", "CQ", "BH", "BV", "AF", "AG", "PA", "PB", "PC"),
        ),
        Layout(
            "35",
            "end_patron_session",
            is_request=True,
            fixed=(_TRANSACTION_DATE,),
            required=("AO", "AA"),
            optional=("AC", "AD"),
            response="36",
        ),
        Layout(
            "36",
            "end_session_response",
            is_request=False,
            fixed=(_fixed("end_session", 1, _YN), _TRANSACTION_DATE),
            required=("AO", "AA"),
            optional=("AF", "AG"),
        ),
        # 97 is answered by repeating our last response, so it names no response command.
        Layout("97", "request_acs_resend", is_request=True, sequenced=False),
        Layout("96", "request_sc_resend", is_request=False, sequenced=False),
    )
}

FIELD_NAMES: dict[str, str] = {
    "AA": "patron identifier",
    "AC": "terminal password",
    "AD": "patron password",
    "AE": "personal name",
    "AF": "screen message",
    "AG": "print line",
    "AM": "library name",
    "AN": "terminal location",
    "AO": "institution id",
    "AS": "hold items",
    "AT": "overdue items",
    "AU": "charged items",
    "AV": "fine items",
    "AY": "sequence number",
    "AZ": "checksum",
    "BD": "home address",
    "BE": "e-mail address",
    "BF": "home phone number",
    "BH": "currency type",
    "BL": "valid patron",
    "BP": "start item",
    "BQ": "end item",
    "BU": "recall items",
    "BV": "fee amount",
    "BX": "supported messages",
    "BZ": "hold items limit",
    "CA": "overdue items limit",
    "CB": "charged items limit",
    "CC": "fee limit",
    "CD": "unavailable hold items",
    "CN": "login user id",
    "CO": "login password",
    "CP": "location code",
    "CQ": "valid patron password",
    "PA": "expiry date (extension)",
    "PB": "birth date (extension)",
    "PC": "patron class (extension)",
}

# Order of the 16 positions of BX (supported messages) in the ACS Status response.
SUPPORTED_MESSAGES_ORDER = (
    *("23", "11", "09", "01"),  # patron status, checkout, checkin, block patron
    *("99", "97", "93", "63"),  # SC/ACS status, request resend, login, patron information
    *("35", "37", "17", "19"),  # end patron session, fee paid, item information, item status upd.
    *("25", "15", "29", "65"),  # patron enable, hold, renew, renew all
)

_FIELD_CODE = re.compile(r"[A-Z0-9]{2}", re.ASCII)
_SEQUENCE_VALUE = re.compile(r"[0-9]", re.ASCII)
# Checksum trailer at the very end; the sequence number is captured when it sits right before
# it ("...|AY1AZ1234"). Some clients put a delimiter in between ("...|AY1|AZ1234"); then AY
# arrives as the last ordinary field and is picked up there.
_TRAILER = re.compile(rb"(?:AY(?P<sequence>[0-9]))?AZ(?P<checksum>[0-9A-Fa-f]{4})\Z")
_TRAILER_MAX = len(b"AY0AZ0000")
_LINE_BREAK = re.compile(rb"[\r\n]")
_VALUE_FORBIDDEN = re.compile(r"[|\r\n]")


# --- Messages -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class Message:
    """One SIP2 message: the command, its fixed fields by name, its variable fields in order.

    Variable fields are (code, value) pairs because codes may repeat (one AU per charged item)
    and order matters to some clients. ``sequence`` and ``checksum`` record how a parsed
    message arrived; they take no part in equality, so ``parse(format(m)) == m``.
    """

    command: str
    fixed: Mapping[str, str] = field(default_factory=dict)
    fields: tuple[tuple[str, str], ...] = ()
    sequence: int | None = field(default=None, compare=False)
    checksum: ChecksumStatus = field(default=ChecksumStatus.ABSENT, compare=False)

    def __post_init__(self) -> None:
        # Accept any mapping and any iterable of pairs, but keep read-only copies: a message
        # kept for a resend (97) must not change after it was formatted.
        object.__setattr__(self, "fixed", MappingProxyType(dict(self.fixed)))
        object.__setattr__(self, "fields", tuple((code, value) for code, value in self.fields))

    @property
    def layout(self) -> Layout:
        return LAYOUTS[self.command]

    def get(self, code: str, default: str | None = None) -> str | None:
        """The first value of a field, or ``default`` when it is absent."""
        for field_code, value in self.fields:
            if field_code == code:
                return value
        return default

    def get_all(self, code: str) -> list[str]:
        return [value for field_code, value in self.fields if field_code == code]

    def has(self, code: str) -> bool:
        return any(field_code == code for field_code, _ in self.fields)

    def missing_fields(self) -> tuple[str, ...]:
        """Required variable fields that are absent. Parsing does not refuse these: the
        handler decides (a login without CO is simply a failed login)."""
        present = {code for code, _ in self.fields}
        return tuple(code for code in self.layout.required if code not in present)

    def __repr__(self) -> str:
        # Messages get logged; passwords must not.
        shown = tuple(
            (code, "***" if code in SECRET_FIELDS else value) for code, value in self.fields
        )
        return (
            f"Message(command={self.command!r}, fixed={dict(self.fixed)!r}, fields={shown!r}, "
            f"sequence={self.sequence!r}, checksum={self.checksum.value!r})"
        )


def compute_checksum(data: bytes) -> str:
    """The SIP2 checksum of ``data``: two's complement of the 16-bit byte sum, 4 hex digits.

    ``data`` runs from the first byte of the message up to and including "AZ". The sum is over
    bytes in the session encoding, not characters — the two differ for Chinese names.
    """
    return f"{-sum(data) & 0xFFFF:04X}"


def _check_encoding(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in SUPPORTED_ENCODINGS:
        raise ValueError(f"SIP2 encoding must be one of {SUPPORTED_ENCODINGS}, not {encoding!r}")
    return name


# --- Parsing ------------------------------------------------------------------------------


def parse_message(data: bytes, *, encoding: str = DEFAULT_ENCODING) -> Message:
    """Parse one message (with or without its CR, CR LF or LF) of either direction.

    Raises ``ProtocolError`` for anything that is not a well-formed message of a command in
    ``LAYOUTS``; checks run in the order framing, checksum, decoding, structure, so a damaged
    message is reported as ``bad_checksum`` (answer 96) whatever else is wrong with it.
    """
    encoding = _check_encoding(encoding)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"SIP2 messages are bytes, not {type(data).__name__}")
    raw = _strip_terminator(bytes(data))
    if _LINE_BREAK.search(raw):
        raise ProtocolError(ErrorCode.FRAMING, "line break inside a message")

    sequence: int | None = None
    status = ChecksumStatus.ABSENT
    trailer = _TRAILER.search(raw, max(0, len(raw) - _TRAILER_MAX))
    if trailer is not None:
        if trailer["sequence"] is not None:
            sequence = int(trailer["sequence"])
        covered = raw[: trailer.start("checksum")]
        if int(trailer["checksum"], 16) != int(compute_checksum(covered), 16):
            raise ProtocolError(ErrorCode.BAD_CHECKSUM, "checksum mismatch", sequence=sequence)
        status = ChecksumStatus.OK
        raw = raw[: trailer.start()]

    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise ProtocolError(
            ErrorCode.DECODE, f"not valid {encoding} at byte {error.start}"
        ) from None

    if len(text) < 2:
        raise ProtocolError(ErrorCode.TOO_SHORT, "no command")
    command = text[:2]
    layout = LAYOUTS.get(command)
    if layout is None:
        # Command codes are digits; anything else is shown as its length only.
        shown = command if command.isascii() and command.isdigit() else "?"
        raise ProtocolError(ErrorCode.UNKNOWN_COMMAND, f"command {shown}")
    if len(text) < layout.fixed_length:
        raise ProtocolError(
            ErrorCode.TOO_SHORT,
            f"{command} needs {layout.fixed_length} characters before its fields, got {len(text)}",
        )

    fixed: dict[str, str] = {}
    position = 2
    for spec in layout.fixed:
        value = text[position : position + spec.length]
        if not spec.pattern.fullmatch(value):
            raise ProtocolError(
                ErrorCode.BAD_FIXED_FIELD, f"{command} {spec.name} at position {position}"
            )
        fixed[spec.name] = value
        position += spec.length

    fields = _parse_fields(text[position:], command)
    if sequence is None and fields and fields[-1][0] == "AY":
        if _SEQUENCE_VALUE.fullmatch(fields[-1][1]):
            sequence = int(fields.pop()[1])
    return Message(command, fixed, tuple(fields), sequence=sequence, checksum=status)


def parse_request(data: bytes, *, encoding: str = DEFAULT_ENCODING) -> Message:
    """Parse a message a client (SC) sends; a response code is an unknown command here."""
    return _parse_direction(data, encoding=encoding, requests=True)


def parse_response(data: bytes, *, encoding: str = DEFAULT_ENCODING) -> Message:
    """Parse a message the server (ACS) sends — for tests playing the client."""
    return _parse_direction(data, encoding=encoding, requests=False)


def _parse_direction(data: bytes, *, encoding: str, requests: bool) -> Message:
    message = parse_message(data, encoding=encoding)
    if message.layout.is_request is not requests:
        expected = "request" if requests else "response"
        raise ProtocolError(ErrorCode.UNKNOWN_COMMAND, f"{message.command} is not a {expected}")
    return message


def _strip_terminator(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    if raw.endswith((b"\r", b"\n")):
        return raw[:-1]
    return raw


def _parse_fields(text: str, command: str) -> list[tuple[str, str]]:
    pieces = text.split(FIELD_DELIMITER)
    # Every field ends with "|", so the last piece is normally empty; a client that leaves the
    # last delimiter off still gets its last field read.
    fields: list[tuple[str, str]] = []
    for index, piece in enumerate(pieces):
        if not piece:
            continue  # the normal end, or a stray "||" that carries nothing
        code = piece[:2]
        if not _FIELD_CODE.fullmatch(code):
            raise ProtocolError(ErrorCode.BAD_FIELD, f"{command} field {index + 1} has no code")
        fields.append((code, piece[2:]))
    return fields


# --- Framing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frames:
    messages: tuple[bytes, ...]  # complete messages, terminators removed, empty lines dropped
    rest: bytes  # the unfinished tail; keep it and prepend it to the next read
    # A message (or the unfinished tail) exceeded max_length. Messages after it are not
    # looked at and ``rest`` is empty: the connection should be closed, since asking for a
    # resend (96) would only bring the same message again.
    oversized: bool = False


def split_messages(buffer: bytes, *, max_length: int = DEFAULT_MAX_LENGTH) -> Frames:
    """Split received bytes into complete messages and the remainder.

    CR, LF and CR LF all end a message; the empty "message" between CR and LF is dropped, which
    also copes with a CR LF split across two reads. CR and LF never occur inside a multi-byte
    UTF-8 or cp850 character, so splitting bytes before decoding is safe.
    """
    pieces = _LINE_BREAK.split(bytes(buffer))
    rest = pieces.pop()
    messages: list[bytes] = []
    for piece in pieces:
        if len(piece) > max_length:
            return Frames(tuple(messages), b"", oversized=True)
        if piece:
            messages.append(piece)
    if len(rest) > max_length:
        return Frames(tuple(messages), b"", oversized=True)
    return Frames(tuple(messages), rest)


# --- Formatting ---------------------------------------------------------------------------


def format_message(
    message: Message,
    *,
    sequence: int | None = None,
    checksum: bool | None = None,
    encoding: str = DEFAULT_ENCODING,
    errors: str = "strict",
) -> bytes:
    """The bytes of ``message``, ending with CR.

    With a ``sequence`` number (0–9) the message ends in ``AY<n>AZ<checksum>``; ``checksum``
    defaults to "whenever there is a sequence number" and can be forced on for 96, which
    carries a checksum but never a sequence number. ``errors`` is passed to ``str.encode``:
    "strict" refuses a name the session encoding cannot express, "replace" sends "?".

    Raises ``ValueError`` for anything that would not parse back to the same message: a value
    containing "|", CR or LF (it would inject a field or end the message), a fixed field that
    does not fit its layout, a missing required field.
    """
    encoding = _check_encoding(encoding)
    layout = LAYOUTS.get(message.command)
    if layout is None:
        raise ValueError(f"no SIP2 layout for command {message.command!r}")
    with_checksum = sequence is not None if checksum is None else checksum
    if sequence is not None:
        if not layout.sequenced:
            raise ValueError(f"{layout.command} never carries a sequence number")
        if not isinstance(sequence, int) or not 0 <= sequence <= 9:
            raise ValueError(f"sequence number must be 0-9, not {sequence!r}")
        if not with_checksum:
            raise ValueError("a sequence number is only sent together with a checksum")

    parts = [layout.command]
    unknown = set(message.fixed) - {spec.name for spec in layout.fixed}
    if unknown:
        raise ValueError(f"{layout.command} has no fixed field {sorted(unknown)}")
    for spec in layout.fixed:
        value = message.fixed.get(spec.name)
        if not isinstance(value, str) or not spec.pattern.fullmatch(value):
            raise ValueError(f"{layout.command} {spec.name} must match {spec.pattern.pattern!r}")
        parts.append(value)
    missing = message.missing_fields()
    if missing:
        raise ValueError(f"{layout.command} needs fields {list(missing)}")
    for code, value in message.fields:
        if not isinstance(code, str) or not _FIELD_CODE.fullmatch(code):
            raise ValueError(f"bad field code {code!r}")
        if code in TRAILER_FIELDS:
            raise ValueError(f"{code} is written by the formatter, not given as a field")
        if not isinstance(value, str):
            raise ValueError(f"field {code} must be text, not {type(value).__name__}")
        if _VALUE_FORBIDDEN.search(value):
            raise ValueError(f'field {code} contains "|", CR or LF')
        parts.append(f"{code}{value}{FIELD_DELIMITER}")
    if sequence is not None:
        parts.append(f"AY{sequence}")

    try:
        body = "".join(parts).encode(encoding, errors)
    except UnicodeEncodeError as error:
        raise ValueError(f"message cannot be written in {encoding}: {error.reason}") from None
    if with_checksum:
        body += b"AZ"
        body += compute_checksum(body).encode("ascii")
    return body + TERMINATOR


def format_request(
    message: Message,
    *,
    sequence: int | None = None,
    checksum: bool | None = None,
    encoding: str = DEFAULT_ENCODING,
    errors: str = "strict",
) -> bytes:
    """Format a client (SC) message — for tests playing the client."""
    _require_direction(message, requests=True)
    return format_message(
        message, sequence=sequence, checksum=checksum, encoding=encoding, errors=errors
    )


def format_response(
    message: Message,
    *,
    sequence: int | None = None,
    checksum: bool | None = None,
    encoding: str = DEFAULT_ENCODING,
    errors: str = "strict",
) -> bytes:
    """Format a server (ACS) message. Echo the request's sequence number; pass
    ``checksum=True`` without a sequence for 96."""
    _require_direction(message, requests=False)
    return format_message(
        message, sequence=sequence, checksum=checksum, encoding=encoding, errors=errors
    )


def _require_direction(message: Message, *, requests: bool) -> None:
    layout = LAYOUTS.get(message.command)
    if layout is not None and layout.is_request is not requests:
        expected = "request" if requests else "response"
        raise ValueError(f"{message.command} is not a {expected}")


# --- Field helpers ------------------------------------------------------------------------


def yn(flag: bool) -> str:
    return "Y" if flag else "N"


@dataclass(frozen=True, slots=True)
class PatronStatus:
    """The 14-character patron status field; the attributes are in spec order."""

    charge_privileges_denied: bool = False
    renewal_privileges_denied: bool = False
    recall_privileges_denied: bool = False
    hold_privileges_denied: bool = False
    card_reported_lost: bool = False
    too_many_items_charged: bool = False
    too_many_items_overdue: bool = False
    too_many_renewals: bool = False
    too_many_claims_of_items_returned: bool = False
    too_many_items_lost: bool = False
    excessive_outstanding_fines: bool = False
    excessive_outstanding_fees: bool = False
    recall_overdue: bool = False
    too_many_items_billed: bool = False

    def to_field(self) -> str:
        # "Y" for a condition that applies and a blank otherwise, as the spec writes it.
        return "".join("Y" if getattr(self, f.name) else " " for f in dataclasses.fields(self))

    @classmethod
    def from_field(cls, text: str) -> PatronStatus:
        names = [f.name for f in dataclasses.fields(cls)]
        if len(text) != len(names) or any(flag not in "YN " for flag in text):
            raise ProtocolError(ErrorCode.BAD_FIXED_FIELD, "patron status")
        return cls(**{name: flag == "Y" for name, flag in zip(names, text, strict=True)})


def supported_messages(commands: Iterable[str]) -> str:
    """The BX field: Y/N in spec order for the request commands we answer."""
    wanted = set(commands)
    unknown = wanted - set(SUPPORTED_MESSAGES_ORDER)
    if unknown:
        raise ValueError(f"not SIP2 request commands: {sorted(unknown)}")
    return "".join(yn(command in wanted) for command in SUPPORTED_MESSAGES_ORDER)


def format_sip_datetime(moment: datetime) -> str:
    """``YYYYMMDD    HHMMSS``: the wall-clock time of ``moment`` with a blank zone, which the
    spec defines as local time (and prefers). Convert aware datetimes to local time first."""
    # Not strftime: "%Y" does not zero-pad years before 1000 on every platform.
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}    "
        f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def format_sip_expiry(day: date) -> str:
    """An expiry date (PA) in the same 18-character form, at the end of that day: a card that
    expires on a date is valid through it, and clients compare the instant."""
    return format_sip_datetime(datetime(day.year, day.month, day.day, 23, 59, 59))


_DATE_PARTS = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})([ 0-9A-Z]{4})([0-9]{2})([0-9]{2})([0-9]{2})", re.ASCII
)


def parse_sip_datetime(text: str) -> datetime | None:
    """Read an 18-character SIP2 date. None when it is all blanks.

    A "Z" in the zone gives an aware UTC datetime; blanks (local time) and the other zone
    letters or digits some servers send give a naive datetime.
    """
    if text == " " * 18:
        return None
    match = _DATE_PARTS.fullmatch(text)
    if match is None:
        raise ProtocolError(ErrorCode.BAD_DATE, "not YYYYMMDDZZZZHHMMSS")
    year, month, day, zone, hour, minute, second = match.groups()
    try:
        # Naive on purpose: a blank zone means the client's local time, which we cannot know.
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        raise ProtocolError(ErrorCode.BAD_DATE, "no such date or time") from None
    return moment.replace(tzinfo=UTC) if zone.endswith("Z") else moment
