"""SIP2 protocol: layouts, checksums, framing — and no byte string makes the parser misbehave."""

import itertools
import logging
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libcard.sip2.protocol import (
    LAYOUTS,
    SUPPORTED_ENCODINGS,
    ChecksumStatus,
    ErrorCode,
    Message,
    PatronStatus,
    ProtocolError,
    compute_checksum,
    format_message,
    format_request,
    format_response,
    format_sip_datetime,
    format_sip_expiry,
    parse_message,
    parse_request,
    parse_response,
    parse_sip_datetime,
    split_messages,
    supported_messages,
)

# No example database: the tests must not leave files in the project, and a fixed seed per
# run is not what we want either — every run explores new inputs.
fast = settings(database=None, deadline=None, max_examples=150)

NOW = datetime(2025, 3, 5, 14, 30, 9)
DATE = "20250305    143009"


def _error(data: bytes, **kwargs) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_message(data, **kwargs)
    return caught.value


# --- Checksums: known answers ---------------------------------------------------------------


def test_checksum_known_answers():
    # "96AZ": 57 + 54 + 65 + 90 = 266 = 0x010A; 0x10000 - 0x010A = 0xFEF6, the 96 every
    # error-detecting server sends.
    assert compute_checksum(b"96AZ") == "FEF6"
    # The SC Status example of the 3M spec, "9900302.00AY1AZFCA5".
    assert compute_checksum(b"9900302.00AY1AZ") == "FCA5"
    # A login response from a public client's test suite, "941AY1AZFDFC".
    assert compute_checksum(b"941AY1AZ") == "FDFC"
    # A checkin from the comments of the PyPI sip2 client ("crc should be EB80").
    checkin = (
        b"09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZ"
    )
    assert compute_checksum(checkin) == "EB80"


def test_checksum_is_zero_padded_to_four_digits():
    # 241 * 255 = 61455 = 0xF00F; 0x10000 - 0xF00F = 0x0FF1
    assert compute_checksum(b"\xff" * 241) == "0FF1"
    assert compute_checksum(b"") == "0000"


def test_checksum_sums_bytes_not_characters():
    # "名" is one character but three UTF-8 bytes (E5 90 8D): 229 + 144 + 141 = 514 = 0x0202.
    assert compute_checksum("名".encode()) == "FDFE"


# --- Parsing: known answers -----------------------------------------------------------------

# 9300CNuser|COpass|CPlocation|AY1AZ, byte by byte:
#   "93" 57+51 = 108, "00" 48+48 = 96, "CNuser|" 67+78+117+115+101+114+124 = 716,
#   "COpass|" 67+79+112+97+115+115+124 = 709,
#   "CPlocation|" 67+80+108+111+99+97+116+105+111+110+124 = 1128, "AY1AZ" 65+89+49+65+90 = 358;
#   total 3115 = 0x0C2B, and 0x10000 - 0x0C2B = 0xF3D5.
LOGIN = b"9300CNuser|COpass|CPlocation|AY1AZF3D5\r"


def test_it_parses_a_login_with_sequence_and_checksum():
    message = parse_request(LOGIN)
    assert message.command == "93"
    assert message.fixed == {"uid_algorithm": "0", "pwd_algorithm": "0"}
    assert message.fields == (("CN", "user"), ("CO", "pass"), ("CP", "location"))
    assert message.sequence == 1
    assert message.checksum is ChecksumStatus.OK
    assert message.missing_fields() == ()


def test_it_formats_the_same_login_byte_for_byte():
    login = Message(
        "93",
        {"uid_algorithm": "0", "pwd_algorithm": "0"},
        [("CN", "user"), ("CO", "pass"), ("CP", "location")],
    )
    assert format_request(login, sequence=1) == LOGIN


def test_it_parses_the_sc_status_example_of_the_spec():
    message = parse_request(b"9900302.00AY1AZFCA5\r")
    assert message.fixed == {
        "status_code": "0",
        "max_print_width": "030",
        "protocol_version": "2.00",
    }
    assert message.fields == ()
    assert message.sequence == 1
    assert message.checksum is ChecksumStatus.OK


def test_it_parses_public_examples():
    # From a public PHP client's comments and a Ruby client's tests.
    assert parse_request(b"9300CNuu|COpp|AY1AZF9E9").get("CO") == "pp"
    assert parse_response(b"941AY1AZFDFC").fixed == {"ok": "1"}


def test_it_accepts_lower_case_checksum_digits():
    assert parse_request(LOGIN.replace(b"F3D5", b"f3d5")).checksum is ChecksumStatus.OK


def test_it_reports_a_bad_checksum_with_the_sequence_number():
    error = _error(LOGIN.replace(b"F3D5", b"F3D6"))
    assert error.code is ErrorCode.BAD_CHECKSUM
    assert error.wants_resend
    assert error.sequence == 1


def test_a_bad_checksum_wins_over_everything_else():
    # Damaged bytes may be why the rest is wrong: the answer is 96 either way.
    error = _error(b"XX\xff\xfeAY3AZ0000")
    assert error.code is ErrorCode.BAD_CHECKSUM


def test_it_reads_a_message_without_checksum():
    message = parse_request(b"9300CNuser|COpass|\r")
    assert message.sequence is None
    assert message.checksum is ChecksumStatus.ABSENT


def test_it_reads_a_sequence_number_sent_without_checksum():
    message = parse_request(b"9300CNuser|COpass|AY3|\r")
    assert message.sequence == 3
    assert message.fields == (("CN", "user"), ("CO", "pass"))


def test_it_reads_a_sequence_number_followed_by_a_delimiter():
    body = b"9300CNuser|COpass|AY4|AZ"
    message = parse_request(body + compute_checksum(body).encode())
    assert message.sequence == 4
    assert message.checksum is ChecksumStatus.OK
    assert not message.has("AY")


def test_it_reads_the_last_field_without_its_delimiter():
    body = b"9300CNuser|COpassAY5AZ"
    message = parse_request(body + compute_checksum(body).encode())
    assert message.get("CO") == "pass"
    assert message.sequence == 5


@pytest.mark.parametrize("ending", [b"\r", b"\r\n", b"\n", b""])
def test_it_accepts_every_line_ending(ending):
    assert parse_request(LOGIN.rstrip(b"\r") + ending) == parse_request(LOGIN)


def test_it_refuses_a_line_break_inside_a_message():
    assert _error(b"9300CNuser\r|COpass|\r").code is ErrorCode.FRAMING
    assert _error(b"\n9300CNuser|COpass|\r").code is ErrorCode.FRAMING


def test_it_refuses_a_truncated_fixed_part():
    assert _error(b"9900302\r").code is ErrorCode.TOO_SHORT
    assert _error(b"63001" + DATE.encode() + b"\r").code is ErrorCode.TOO_SHORT
    assert _error(b"9").code is ErrorCode.TOO_SHORT
    assert _error(b"").code is ErrorCode.TOO_SHORT


def test_it_refuses_a_shifted_fixed_part_without_quoting_it():
    # The summary is missing, so the variable fields slide into its place.
    error = _error(b"63001" + DATE.encode() + b"AOlib|AA12345|ADsecret99|\r")
    assert error.code is ErrorCode.BAD_FIXED_FIELD
    assert "secret" not in str(error)
    assert "12345" not in str(error)


def test_it_refuses_a_real_acs_status_without_protocol_version():
    # Quoted in a public test suite as malformed: the protocol version is missing, so "AOCN"
    # lands where "2.00" belongs.
    error = _error(b"98YYYYYN18018020250226    095853AOCN-0000001-ZG|AF|AG|\r")
    assert error.code is ErrorCode.BAD_FIXED_FIELD


def test_it_refuses_letters_in_a_count():
    counts = "0000" * 5 + "00x0"
    raw = f"64{' ' * 14}000{DATE}{counts}AOlib|AA1|AE|"
    assert _error(raw.encode()).code is ErrorCode.BAD_FIXED_FIELD


def test_it_refuses_a_field_without_code():
    assert _error(b"9300CNuser|x|\r").code is ErrorCode.BAD_FIELD
    assert _error(b"9300CNuser|c1|\r").code is ErrorCode.BAD_FIELD


def test_it_refuses_unknown_commands():
    assert _error(b"XX\r").code is ErrorCode.UNKNOWN_COMMAND
    # Checkin is valid SIP2 but not served by libcard.
    checkin = b"09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|"
    assert _error(checkin).code is ErrorCode.UNKNOWN_COMMAND


def test_it_keeps_requests_and_responses_apart():
    with pytest.raises(ProtocolError) as caught:
        parse_request(b"941\r")
    assert caught.value.code is ErrorCode.UNKNOWN_COMMAND
    with pytest.raises(ProtocolError):
        parse_response(LOGIN)
    with pytest.raises(ValueError):
        format_response(parse_request(LOGIN))
    with pytest.raises(ValueError):
        format_request(Message("94", {"ok": "1"}))


def test_it_refuses_bytes_that_are_not_utf8():
    error = _error(b"9300CN\xff|COpass|\r")
    assert error.code is ErrorCode.DECODE
    # The same bytes are a letter in cp850, where every byte decodes.
    assert parse_request(b"9300CN\xff|COpass|\r", encoding="cp850").get("CN") == "\u00a0"


def test_it_decodes_chinese_in_utf8_and_accented_names_in_cp850():
    name = "王小明"
    raw = f"64{' ' * 14}000{DATE}{'0000' * 6}AOlib|AA1|AE{name}|BLY|CQY|".encode()
    assert parse_response(raw).get("AE") == name
    raw = f"64{' ' * 14}000{DATE}{'0000' * 6}AOlib|AA1|AELE CARRÉ, JOHN|".encode("cp850")
    assert parse_response(raw, encoding="cp850").get("AE") == "LE CARRÉ, JOHN"


def test_it_parses_what_a_sierra_server_sends():
    # A 64 quoted in a public client's tests: "0000" as the zone and blank item counts.
    raw = (
        b"64              000201610050000114734                        "
        b"AOnypl |AA12345|AENo Name|BLN|AFYour library card number cannot be located.|"
    )
    message = parse_response(raw)
    assert message.fixed["transaction_date"] == "201610050000114734"
    assert message.fixed["hold_items_count"] == "    "
    assert message.get("BL") == "N"


def test_repeated_fields_keep_their_order():
    raw = f"64{' ' * 14}000{DATE}{'0000' * 6}AOlib|AA1|AE|AUone|AUtwo|AUthree|".encode()
    message = parse_response(raw)
    assert message.get("AU") == "one"
    assert message.get_all("AU") == ["one", "two", "three"]
    assert message.get("BL") is None
    assert message.get("BL", "N") == "N"


def test_missing_required_fields_are_reported_not_refused():
    message = parse_request(b"9300CNuser|\r")
    assert message.missing_fields() == ("CO",)


def test_passwords_stay_out_of_repr():
    message = parse_request(b"6300120250305    143009          AOlib|AA123|ADhunter2|ACterm|\r")
    assert "hunter2" not in repr(message)
    assert "term" not in repr(message)
    assert "123" in repr(message)
    assert "pass" not in repr(parse_request(LOGIN))


def test_parse_refuses_other_encodings_and_non_bytes():
    with pytest.raises(ValueError):
        parse_message(LOGIN, encoding="big5")
    with pytest.raises(TypeError):
        parse_message(LOGIN.decode())  # type: ignore[arg-type]


# --- Formatting -----------------------------------------------------------------------------


def _patron_information(**fields: str) -> Message:
    fixed = {
        "patron_status": PatronStatus(charge_privileges_denied=True).to_field(),
        "language": "000",
        "transaction_date": DATE,
        "hold_items_count": "0000",
        "overdue_items_count": "0000",
        "charged_items_count": "0000",
        "fine_items_count": "0000",
        "recall_items_count": "0000",
        "unavailable_holds_count": "0000",
    }
    return Message("64", fixed, [("AO", "lib"), ("AA", "A123"), ("AE", "王小明"), *fields.items()])


def test_it_formats_a_patron_information_response():
    raw = format_response(_patron_information(BL="Y", CQ="Y"), sequence=7)
    expected_body = f"64Y{' ' * 13}000{DATE}{'0000' * 6}AOlib|AAA123|AE王小明|BLY|CQY|AY7AZ"
    assert raw == (
        expected_body.encode() + compute_checksum(expected_body.encode()).encode() + b"\r"
    )


def test_it_formats_request_sc_resend_with_checksum_only():
    assert format_response(Message("96"), checksum=True) == b"96AZFEF6\r"
    assert format_response(Message("96")) == b"96\r"
    with pytest.raises(ValueError):
        format_response(Message("96"), sequence=1)


@pytest.mark.parametrize("value", ["a|b", "AY1AZ0000|AFx", "line\rbreak", "line\nbreak", "|"])
def test_it_refuses_values_that_would_inject_fields(value):
    with pytest.raises(ValueError):
        format_response(_patron_information(AF=value))


@pytest.mark.parametrize("code", ["AY", "AZ", "ay", "A", "ABC", "A|"])
def test_it_refuses_bad_or_reserved_field_codes(code):
    message = Message("94", {"ok": "1"}, [(code, "x")])
    with pytest.raises(ValueError):
        format_response(message)


def test_it_refuses_fixed_fields_that_do_not_fit():
    with pytest.raises(ValueError):
        format_response(Message("94", {"ok": "Y"}))
    with pytest.raises(ValueError):
        format_response(Message("94", {}))
    with pytest.raises(ValueError):
        format_response(Message("94", {"ok": "1", "okay": "1"}))
    message = _patron_information()
    fixed = {**message.fixed, "hold_items_count": "12"}
    with pytest.raises(ValueError):
        format_response(Message("64", fixed, message.fields))


def test_it_refuses_missing_required_fields():
    with pytest.raises(ValueError, match="AE"):
        format_response(Message("64", _patron_information().fixed, [("AO", ""), ("AA", "1")]))


@pytest.mark.parametrize("sequence", [-1, 10, "1"])
def test_it_refuses_bad_sequence_numbers(sequence):
    with pytest.raises(ValueError):
        format_response(Message("94", {"ok": "1"}), sequence=sequence)


def test_a_sequence_number_needs_a_checksum():
    with pytest.raises(ValueError):
        format_response(Message("94", {"ok": "1"}), sequence=1, checksum=False)


def test_cp850_refuses_chinese_unless_asked_to_replace():
    message = _patron_information()
    with pytest.raises(ValueError):
        format_response(message, encoding="cp850")
    raw = format_response(message, encoding="cp850", errors="replace")
    assert parse_response(raw, encoding="cp850").get("AE") == "???"


def test_unknown_commands_cannot_be_formatted():
    with pytest.raises(ValueError):
        format_message(Message("09"))


# --- Field helpers --------------------------------------------------------------------------


def test_patron_status_flags_are_in_spec_order():
    assert PatronStatus().to_field() == " " * 14
    assert PatronStatus(charge_privileges_denied=True).to_field() == "Y" + " " * 13
    assert PatronStatus(card_reported_lost=True).to_field() == "    Y" + " " * 9
    assert PatronStatus(too_many_items_billed=True).to_field() == " " * 13 + "Y"
    status = PatronStatus(hold_privileges_denied=True, excessive_outstanding_fines=True)
    assert status.to_field() == "   Y      Y   "
    assert PatronStatus.from_field(status.to_field()) == status
    assert PatronStatus.from_field("NNNYNNNNNNYNNN") == status
    with pytest.raises(ProtocolError):
        PatronStatus.from_field("Y")


def test_supported_messages_field():
    served = {cmd for cmd, layout in LAYOUTS.items() if layout.is_request}
    assert served == {"93", "99", "63", "23", "35", "97"}
    assert supported_messages(served) == "YNNNYYYYYNNNNNNN"
    with pytest.raises(ValueError):
        supported_messages({"94"})


def test_sip_dates():
    assert format_sip_datetime(NOW) == DATE
    assert format_sip_datetime(datetime(987, 1, 2, 3, 4, 5)) == "09870102    030405"
    assert format_sip_expiry(date(2026, 12, 31)) == "20261231    235959"
    assert parse_sip_datetime(DATE) == NOW
    assert parse_sip_datetime("20250305   Z143009") == NOW.replace(tzinfo=UTC)
    assert parse_sip_datetime("201610050000114734") == datetime(2016, 10, 5, 11, 47, 34)
    assert parse_sip_datetime(" " * 18) is None
    for bad in ["20251305    000000", "2025030     143009", "", "20250305    250000"]:
        with pytest.raises(ProtocolError) as caught:
            parse_sip_datetime(bad)
        assert caught.value.code is ErrorCode.BAD_DATE


def test_the_patterns_fit_their_lengths():
    # Every fixed-field pattern accepts values of exactly the declared length, nothing else.
    for layout in LAYOUTS.values():
        for spec in layout.fixed:
            assert spec.pattern.flags & re.ASCII
            for length in (spec.length - 1, spec.length + 1):
                assert not spec.pattern.fullmatch("0" * length)
                assert not spec.pattern.fullmatch(" " * length)
                assert not spec.pattern.fullmatch("Y" * length)


# --- Framing --------------------------------------------------------------------------------


def test_split_messages_keeps_the_unfinished_tail():
    frames = split_messages(b"941\r9300CNa|COb|\r\n99003")
    assert frames.messages == (b"941", b"9300CNa|COb|")
    assert frames.rest == b"99003"
    assert not frames.oversized


def test_split_messages_handles_a_crlf_split_across_reads():
    first = split_messages(b"941\r")
    second = split_messages(first.rest + b"\n941\n")
    assert first.messages + second.messages == (b"941", b"941")


def test_split_messages_reports_an_oversized_message():
    frames = split_messages(b"941\r" + b"x" * 101 + b"\r941\r", max_length=100)
    assert frames.oversized
    assert frames.messages == (b"941",)
    assert frames.rest == b""


def test_split_messages_reports_an_oversized_tail_before_its_end_arrives():
    assert split_messages(b"x" * 101, max_length=100).oversized
    assert not split_messages(b"x" * 100, max_length=100).oversized


# --- Property-based -------------------------------------------------------------------------

_CP850_ALPHABET = sorted(set(bytes(range(256)).decode("cp850")) - set("|\r\n"))
_UTF8_ALPHABET = st.one_of(
    st.characters(exclude_characters="|\r\n", exclude_categories=("Cs",)),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK, for Chinese names
)


def _values(encoding: str) -> st.SearchStrategy[str]:
    alphabet = _CP850_ALPHABET if encoding == "cp850" else _UTF8_ALPHABET
    return st.text(alphabet=alphabet, max_size=20)


@st.composite
def messages(draw: st.DrawFn, encoding: str) -> Message:
    layout = draw(st.sampled_from(sorted(LAYOUTS.values(), key=lambda layout: layout.command)))
    fixed = {spec.name: draw(st.from_regex(spec.pattern, fullmatch=True)) for spec in layout.fixed}
    extra = draw(st.lists(st.sampled_from((*layout.optional, "AF", "AU", "ZZ", "X9")), max_size=5))
    codes = draw(st.permutations([*layout.required, *extra]))
    fields = [(code, draw(_values(encoding))) for code in codes]
    return Message(layout.command, fixed, fields)


@fast
@given(
    data=st.data(),
    encoding=st.sampled_from(SUPPORTED_ENCODINGS),
    sequence=st.none() | st.integers(0, 9),
    with_checksum=st.booleans(),
)
def test_format_then_parse_round_trips(data, encoding, sequence, with_checksum):
    message = data.draw(messages(encoding))
    if not message.layout.sequenced:
        sequence = None
    if sequence is not None:
        with_checksum = True
    raw = format_message(message, sequence=sequence, checksum=with_checksum, encoding=encoding)
    assert raw.endswith(b"\r")
    assert raw.count(b"\r") == 1 and b"\n" not in raw
    parsed = parse_message(raw, encoding=encoding)
    assert parsed == message
    assert parsed.sequence == sequence
    expected = ChecksumStatus.OK if with_checksum else ChecksumStatus.ABSENT
    assert parsed.checksum is expected
    if message.layout.is_request:
        assert parse_request(raw, encoding=encoding) == message
    else:
        assert parse_response(raw, encoding=encoding) == message


def _parses_or_refuses(data: bytes, encoding: str) -> None:
    try:
        message = parse_message(data, encoding=encoding)
    except ProtocolError as error:
        assert error.code in set(ErrorCode)
    else:
        assert message.command in LAYOUTS


@fast
@given(data=st.binary(max_size=200), encoding=st.sampled_from(SUPPORTED_ENCODINGS))
def test_any_bytes_parse_or_raise_protocol_error(data, encoding):
    _parses_or_refuses(data, encoding)


_FRAGMENTS = [
    *(command.encode() for command in LAYOUTS),
    *(b"09", b"00", b"0", b"1", b"Y", b"N", b" ", b"    ", b"2.00", b"030", b"000"),
    *(DATE.encode(), b"20251305   Z250000", b"|", b"||", b"AO", b"AA", b"AE", b"CN", b"CO"),
    *(b"AY", b"AY1", b"AZ", b"AZFEF6", b"AZ0000", b"AY1AZ", b"\r", b"\n", b"\r\n"),
    *("王".encode(), "王".encode()[:2], b"\xff", b"\x00", "É".encode("cp850")),
]


@fast
@given(
    pieces=st.lists(st.sampled_from(_FRAGMENTS), max_size=25),
    encoding=st.sampled_from(SUPPORTED_ENCODINGS),
)
def test_sip2_like_fragments_parse_or_raise_protocol_error(pieces, encoding):
    _parses_or_refuses(b"".join(pieces), encoding)


@fast
@given(
    data=st.data(),
    encoding=st.sampled_from(SUPPORTED_ENCODINGS),
    with_checksum=st.booleans(),
)
def test_damaged_messages_parse_or_raise_protocol_error(data, encoding, with_checksum):
    raw = format_message(data.draw(messages(encoding)), checksum=with_checksum, encoding=encoding)
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(raw)), st.binary(max_size=3))))
    for position, replacement in edits:
        raw = raw[:position] + replacement + raw[position + 1 :]
    _parses_or_refuses(raw, encoding)


@fast
@given(data=st.data(), encoding=st.sampled_from(SUPPORTED_ENCODINGS))
def test_any_damaged_byte_is_caught_by_the_checksum(data, encoding):
    message = data.draw(messages(encoding))
    sequence = 3 if message.layout.sequenced else None
    raw = format_message(message, sequence=sequence, checksum=True, encoding=encoding)
    # Everything before "AZxxxx\r" is covered; a changed byte there moves the 16-bit sum by
    # 1..255, which can never wrap to the same checksum.
    position = data.draw(st.integers(0, len(raw) - len(b"AZ0000\r") - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b not in (raw[position], 10, 13)))
    damaged = raw[:position] + bytes([byte]) + raw[position + 1 :]
    with pytest.raises(ProtocolError) as caught:
        parse_message(damaged, encoding=encoding)
    assert caught.value.code is ErrorCode.BAD_CHECKSUM


_LINE = st.binary(min_size=1, max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b)


@fast
@given(
    lines=st.lists(st.tuples(_LINE, st.sampled_from([b"\r", b"\r\n", b"\n"])), max_size=6),
    cuts=st.lists(st.integers(0, 300), max_size=6),
)
def test_split_messages_finds_the_same_messages_however_the_bytes_arrive(lines, cuts):
    stream = b"".join(line + ending for line, ending in lines)
    bounds = sorted({0, len(stream), *(cut for cut in cuts if cut < len(stream))})
    received: list[bytes] = []
    rest = b""
    for start, end in itertools.pairwise(bounds):
        frames = split_messages(rest + stream[start:end])
        assert not frames.oversized
        received.extend(frames.messages)
        rest = frames.rest
    assert received == [line for line, _ in lines]
    assert rest == b""


# --- The PyPI sip2 client, written by others, as an independent reading of the spec -------


def _client():
    sip2_client = pytest.importorskip("Sip2.sip2")
    client = sip2_client.Sip2()
    # Its builders log skipped optional fields; give it a logger that writes no file.
    client.log = logging.getLogger("tests.sip2.client")
    client.patron = "A123456789"
    client.patronpwd = "pw"
    client.institutionId = "lib"
    return client


def test_requests_of_the_pypi_client_parse():
    client = _client()
    built = [
        client.sip_login_request("platform", "secret"),
        client.sip_sc_status_request(),
        client.sip_patron_information_request("none"),
        client.sip_patron_status_request(),
        client.sip_end_patron_session_request(),
    ]
    for sequence, raw in enumerate(built):
        message = parse_request(raw.encode())
        assert message.checksum is ChecksumStatus.OK
        assert message.sequence == sequence
        assert message.missing_fields() == ()
    assert parse_request(built[0].encode()).get("CO") == "secret"
    assert parse_request(built[2].encode()).get("AD") == "pw"
    resend = parse_request(client.sip_sc_resend_request().encode())
    assert resend.command == "97"


def test_responses_parse_in_the_pypi_client():
    client = _client()
    login = format_response(Message("94", {"ok": "1"}), sequence=0).decode()
    assert client.sip_login_response(login)["fixed"]["Ok"] == "1"

    status = Message(
        "98",
        {
            "online_status": "Y",
            "checkin_ok": "N",
            "checkout_ok": "N",
            "acs_renewal_policy": "N",
            "status_update_ok": "N",
            "offline_ok": "N",
            "timeout_period": "030",
            "retries_allowed": "003",
            "date_time_sync": DATE,
            "protocol_version": "2.00",
        },
        [("AO", "lib"), ("BX", supported_messages({"93", "99", "63", "23", "35", "97"}))],
    )
    parsed = client.sip_sc_status_response(format_response(status, sequence=1).decode())
    assert parsed["fixed"]["ProtocolVersion"] == "2.00"
    assert parsed["fixed"]["TimeoutPeriod"] == "030"
    assert parsed["variable"]["BX"] == ["YNNNYYYYYNNNNNNN"]

    info = format_response(_patron_information(BL="Y", CQ="N"), sequence=2).decode()
    parsed = client.sip_patron_information_response(info)
    assert parsed["fixed"]["PatronStatus"] == "Y" + " " * 13
    assert parsed["fixed"]["TransactionDate"] == DATE
    assert parsed["fixed"]["UnavailableHoldsCount"] == "0000"
    assert parsed["variable"]["AE"] == ["王小明"]
    assert parsed["variable"]["CQ"] == ["N"]

    end = Message("36", {"end_session": "Y", "transaction_date": DATE}, [("AO", ""), ("AA", "1")])
    parsed = client.sip_end_patron_session_response(format_response(end, sequence=3).decode())
    assert parsed["fixed"]["EndSession"] == "Y"
    assert parsed["variable"]["AA"] == ["1"]
