"""The SIP2 server as platforms meet it: a real `libcard sip2` process, an independent client
(the PyPI `sip2` package), raw sockets with bad input, many connections, stopping."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command

from libcard.core.models import AuditEntry
from libcard.readers.models import Card
from libcard.sip2.protocol import parse_response
from libcard.sip2.server import Sip2Server, peer_address, tls_context
from tests.sip2.conftest import (
    SIP2_PASSWORD,
    SIP2_USER,
    closed_by_server,
    exchange,
    login,
    patron_information,
    read_message,
    sc_status,
    sip2_process,
)
from tests.support.readers import OWN, make_reader

pytestmark = pytest.mark.xdist_group("sip2")
real_server = pytest.mark.django_db(transaction=True)


def logged_in(server, **kwargs) -> socket.socket:
    sock = server.connect(**kwargs)
    assert exchange(sock, login()).startswith(b"941")
    return sock


def still_serving(server) -> None:
    """A new connection logs in and gets an on-line status: the server is fine."""
    with logged_in(server) as sock:
        status = parse_response(exchange(sock, sc_status()))
        assert status.fixed["online_status"] == "Y"


# --- an independent client ------------------------------------------------------------------


@real_server
def test_the_pypi_sip2_client_logs_in_and_checks_readers(sip2_server, platform, tmp_path):
    from Sip2.sip2 import Sip2

    make_reader(
        own_password=OWN,
        name="王小明",
        card_type=Card.Type.PHYSICAL,
        expires_on=dt.date(2031, 7, 31),
    )
    client = Sip2()
    client.hostName, client.hostPort = "127.0.0.1", sip2_server.port
    client.tlsEnable = False
    client.logfile_path = str(tmp_path)  # it writes sip2.log into the current folder otherwise
    client.socketTimeout = 10
    client.connect()
    try:
        login_answer = client.sip_login_response(
            client.get_response(client.sip_login_request(SIP2_USER, SIP2_PASSWORD))
        )
        assert login_answer["fixed"]["Ok"] == "1"
        status = client.sip_sc_status_response(client.get_response(client.sip_sc_status_request()))
        assert status["fixed"]["OnlineStatus"] == "Y"

        client.patron, client.patronpwd = "A123456789", OWN
        info = client.sip_patron_information_response(
            client.get_response(client.sip_patron_information_request("none"))
        )["variable"]
        assert (info["BL"], info["CQ"], info["AE"]) == (["Y"], ["Y"], ["王小明"])
        assert info["PC"] == ["physical"] and info["PA"] == ["20310731    235959"]
        assert len(info["XI"][0]) == 32  # the pseudonym

        client.patronpwd = "not the password"
        info = client.sip_patron_information_response(
            client.get_response(client.sip_patron_information_request("none"))
        )["variable"]
        assert info["CQ"] == ["N"]

        client.patron, client.patronpwd = "B123456780", OWN
        status = client.sip_patron_status_response(
            client.get_response(client.sip_patron_status_request())
        )["variable"]
        assert status["BL"] == ["N"] and status["CQ"] == ["N"]
    finally:
        client.disconnect()
    log = sip2_server.log_text()
    for secret in ("A123456789", "B123456780", OWN, SIP2_PASSWORD, "not the password"):
        assert secret not in log


@real_server
def test_the_pypi_wrapper_sees_a_valid_patron_only_with_the_right_password(
    sip2_server, platform, tmp_path
):
    from Sip2.wrapper import Sip2Wrapper

    make_reader(own_password=OWN)
    params = {
        "hostName": "127.0.0.1",
        "hostPort": sip2_server.port,
        "tlsEnable": False,
        "logfile_path": str(tmp_path),
        "socketTimeout": 10,
    }
    wrapper = Sip2Wrapper(params, True)
    try:
        assert wrapper.login_device(SIP2_USER, SIP2_PASSWORD) is True
        assert wrapper.login_patron("a123456789", OWN) is True
        assert wrapper.login_patron("A123456789", "wrong password") is False
        assert wrapper.login_patron("B123456780", OWN) is False
    finally:
        wrapper.disconnect()


# --- raw sockets: strictness and bad input -------------------------------------------------


@real_server
def test_a_bad_checksum_gets_96(sip2_server, platform):
    with logged_in(sip2_server) as sock:
        good = sc_status(sequence=3)
        damaged = good[:-5] + (b"0000" if good[-5:-1] != b"0000" else b"0001") + b"\r"
        assert exchange(sock, damaged) == b"96AZFEF6\r"
        assert exchange(sock, good).startswith(b"98Y")  # the resend is answered


@real_server
def test_nothing_but_login_is_served_before_login(sip2_server, platform):
    make_reader(own_password=OWN)
    with sip2_server.connect() as sock:
        sock.sendall(patron_information("A123456789", OWN))
        assert closed_by_server(sock)
    with sip2_server.connect() as sock:
        status = parse_response(exchange(sock, sc_status()))
        assert status.fixed["online_status"] == "N"
        assert exchange(sock, login(password="wrong password")).startswith(b"940")
        sock.sendall(patron_information("A123456789", OWN))
        assert closed_by_server(sock)


BAD_INPUT = {
    "shifted fixed fields": b"6300020260301    101500AOlib|AAA123456789|\r",
    "unknown command": b"11YN20260301    101500AOlib|AB123|\r",
    "field without code": b"9900302.00|x|\r",
    "truncated": b"63000202603\r",
    "not utf-8": b"9300CN\xff\xfe|COx|\r",
    "binary with line ends": bytes(range(256)) * 3,
    "NUL bytes": b"\x00" * 100 + b"\r",
    "only line ends": b"\r\n" * 500,
    "oversized": b"63" + b"A" * 10_000,
    "oversized with CR": b"9300CN" + b"x" * 8000 + b"|COy|\r",
    "half a message, then goodbye": b"9300CNebo",
    "a flood of garbage messages": b"zz\r" * 50,
}


@real_server
@pytest.mark.parametrize("name", BAD_INPUT)
def test_bad_input_gets_96_or_a_clean_close_and_others_are_still_served(
    sip2_server, platform, name
):
    with logged_in(sip2_server) as sock:
        try:
            sock.sendall(BAD_INPUT[name])
            sock.shutdown(socket.SHUT_WR)  # the half message never gets its CR
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server already closed: that is a clean close too
        received = b""
        sock.settimeout(10)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        # Whatever came back is whole 96 answers, nothing else; then the connection ended.
        assert set(received.split(b"\r")) <= {b"96AZFEF6", b""}
    still_serving(sip2_server)


@real_server
def test_connections_from_one_address_are_capped(sip2_server, platform):
    # From 127.0.0.2, an address no other test uses, so the count starts at zero.
    sockets = []
    try:
        for _ in range(200):
            sockets.append(sip2_server.connect(source="127.0.0.2"))
        served = refused = 0
        for sock in sockets:
            try:
                sock.sendall(sc_status())
                data = read_message(sock, timeout=10)
            except (BrokenPipeError, ConnectionResetError):
                data = b""
            if data.startswith(b"98N"):
                served += 1
            else:
                assert data == b""
                refused += 1
        assert (served, refused) == (20, 180)
        # The served ones stay open and usable; others' addresses are not affected.
        still_serving(sip2_server)
    finally:
        for sock in sockets:
            sock.close()
    # Once they are closed, the address is served again.
    deadline = time.monotonic() + 10
    while True:
        with sip2_server.connect(source="127.0.0.2") as sock:
            sock.sendall(sc_status())
            if read_message(sock).startswith(b"98N"):
                break
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_sigterm_lets_the_answer_in_progress_go_out_and_exits_cleanly(platform, tmp_path):
    make_reader(own_password=OWN)
    with sip2_process(tmp_path / "server.log") as server:
        idle = server.connect()
        busy = logged_in(server)
        busy.sendall(patron_information("A123456789", OWN))
        # Signal once the server is working on it: the password check is done and recorded,
        # the answer (card, pseudonym) is still being put together or on its way.
        deadline = time.monotonic() + 10
        while not AuditEntry.objects.filter(action="login.success").exists():
            assert time.monotonic() < deadline
            time.sleep(0.005)
        server.process.send_signal(signal.SIGTERM)
        answer = read_message(busy)
        assert server.process.wait(timeout=15) == 0
        assert parse_response(answer).get("CQ") == "Y"
        assert closed_by_server(idle, timeout=5) and closed_by_server(busy, timeout=5)
        with pytest.raises(ConnectionRefusedError):
            server.connect()
        assert "stopped" in server.log_text()


def test_the_command_refuses_half_a_tls_setting(settings):
    settings.SIP2_TLS_CERT = "/nonexistent/cert.pem"
    settings.SIP2_TLS_KEY = ""
    with pytest.raises(CommandError, match="SIP2_TLS_CERT and SIP2_TLS_KEY"):
        call_command("sip2", "--port", "0")


# --- the server loop itself, with a stand-in session (no database) -------------------------


@dataclass
class Reply:
    data: bytes = b""
    close: bool = False


class EchoSession:
    """Answers every message with "OK<message>"; "slow" waits for ``release``; "boom" raises."""

    entered = threading.Event()
    release = threading.Event()

    def __init__(self, address: str) -> None:
        self.address = address

    def handle(self, raw: bytes) -> Reply:
        if raw == b"slow":
            EchoSession.entered.set()
            EchoSession.release.wait(10)
        if raw == b"boom":
            raise RuntimeError("a bug")
        return Reply(b"OK" + raw + b"\r", close=raw == b"bye")


def run_with_server(scenario, **options):
    """Start a server on a free port in this thread's own loop, run ``scenario(server)``."""
    EchoSession.entered.clear()
    EchoSession.release.clear()

    async def main():
        server = Sip2Server(host="127.0.0.1", port=0, session_factory=EchoSession, **options)
        await server.start()
        try:
            return await scenario(server)
        finally:
            EchoSession.release.set()
            await server.stop()

    return asyncio.run(asyncio.wait_for(main(), timeout=30))


async def open_connection(server, ssl_context=None):
    return await asyncio.open_connection("127.0.0.1", server.port, ssl=ssl_context)


async def read_line(reader, timeout=5.0) -> bytes:
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r"), timeout)
    except asyncio.IncompleteReadError as error:
        return error.partial


def test_an_idle_connection_is_closed():
    async def scenario(server):
        reader, writer = await open_connection(server)
        writer.write(b"hello\r")
        assert await read_line(reader) == b"OKhello\r"
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        assert 0.2 <= time.monotonic() - started < 3
        writer.close()

    run_with_server(scenario, idle_timeout=0.3)


def test_a_failing_session_ends_only_its_own_connection():
    async def scenario(server):
        reader_a, writer_a = await open_connection(server)
        reader_b, writer_b = await open_connection(server)
        writer_a.write(b"boom\r")
        assert await asyncio.wait_for(reader_a.read(), 5) == b""
        writer_b.write(b"fine\r")
        assert await read_line(reader_b) == b"OKfine\r"
        for writer in (writer_a, writer_b):
            writer.close()

    run_with_server(scenario)


def test_a_message_without_end_is_cut_off_at_the_limit():
    async def scenario(server):
        reader, writer = await open_connection(server)
        writer.write(b"x" * 100)
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()

    run_with_server(scenario, max_message=64)


def test_messages_split_across_reads_and_pipelined_are_answered_in_order():
    async def scenario(server):
        reader, writer = await open_connection(server)
        for piece in (b"on", b"e\r\ntw", b"o\rthree\n", b"bye\r", b"never\r"):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        answers = await asyncio.wait_for(reader.read(), 5)
        assert answers == b"OKone\rOKtwo\rOKthree\rOKbye\r"
        writer.close()

    run_with_server(scenario)


def test_stopping_finishes_the_answer_in_progress_and_refuses_new_connections():
    async def scenario(server):
        reader, writer = await open_connection(server)
        idle_reader, idle_writer = await open_connection(server)
        writer.write(b"slow\r")
        await asyncio.get_running_loop().run_in_executor(None, EchoSession.entered.wait, 5)
        stopping = asyncio.create_task(server.stop())
        await asyncio.sleep(0.1)
        assert await asyncio.wait_for(idle_reader.read(), 5) == b""  # idle: closed at once
        with pytest.raises(OSError):
            await open_connection(server)  # no longer accepting
        EchoSession.release.set()
        assert await read_line(reader) == b"OKslow\r"  # the answer in progress went out
        assert await asyncio.wait_for(reader.read(), 5) == b""
        await stopping
        for w in (writer, idle_writer):
            w.close()

    run_with_server(scenario)


def test_the_per_address_limit_counts_open_connections():
    async def scenario(server):
        opened = [await open_connection(server) for _ in range(5)]
        served = 0
        for reader, writer in opened:
            writer.write(b"hi\r")
            if await read_line(reader) == b"OKhi\r":
                served += 1
        assert served == 3 and server.stats.refused == 2
        for _reader, writer in opened:
            writer.close()

    run_with_server(scenario, max_per_address=3)


def test_tls_when_a_certificate_and_key_are_given(tmp_path):
    cert, key = _self_signed(tmp_path)
    client = ssl.create_default_context(cafile=str(cert))

    async def scenario(server):
        reader, writer = await open_connection(server, client)
        writer.write(b"secret\r")
        assert await read_line(reader) == b"OKsecret\r"
        writer.close()
        # A plain-text client gets nothing readable and is closed.
        plain_reader, plain_writer = await open_connection(server)
        plain_writer.write(b"hello\r")
        assert b"OK" not in await asyncio.wait_for(plain_reader.read(), 5)
        plain_writer.close()

    run_with_server(scenario, ssl_context=tls_context(str(cert), str(key)))


def _self_signed(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(
    ("peer", "address"),
    [
        (("203.0.113.5", 50000), "203.0.113.5"),
        (("::ffff:203.0.113.5", 50000, 0, 0), "203.0.113.5"),  # IPv4 on a dual-stack listener
        (("2001:db8::1", 50000, 0, 0), "2001:db8::1"),
        (None, ""),
    ],
)
def test_client_addresses_are_compared_as_platforms_write_them(peer, address):
    assert peer_address(peer) == address
