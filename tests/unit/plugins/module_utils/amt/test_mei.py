# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import socket
import struct
import tempfile
import threading
import uuid

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt import mei
from ansible_collections.oob.amt.plugins.module_utils.amt.mei import MeiClient, MeiError

AMTHI_GUID = bytes([0x28, 0x00, 0xf8, 0x12, 0xb7, 0xb4, 0x2d, 0x4b, 0xac, 0xa8, 0x46, 0xe0, 0xff, 0x65, 0x81, 0x4c])
WATCHDOG_GUID = bytes([0x6f, 0x9a, 0xb7, 0x05, 0x28, 0x46, 0x7f, 0x4d, 0x89, 0x9d, 0xa9, 0x15, 0x14, 0xcb, 0x32, 0xab])


def _recv_exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class FakeEngine:
    """A Unix socket speaking the simulator's framing; answers[command] = (status, body) and records requests."""

    def __init__(self, answers, change_enabled=0x83):
        self.answers = answers
        self.change_enabled = change_enabled
        self.requests = []
        self.clients = []
        self._dir = tempfile.mkdtemp()
        self.path = os.path.join(self._dir, "0001.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(8)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            try:
                conn = self._listener.accept()[0]
            except OSError:
                return
            with conn:
                try:
                    self._serve(conn)
                except EOFError:
                    pass

    def _serve(self, conn):
        client = _recv_exactly(conn, 16)
        self.clients.append(client)
        conn.sendall(struct.pack("<IB3x", 4096, 1))
        if client == WATCHDOG_GUID:
            self.requests.append(("watchdog", _recv_exactly(conn, 4)))
            conn.sendall(bytes([self.change_enabled]))
            return
        major, minor, _reserved, command, length = struct.unpack("<BBHII", _recv_exactly(conn, 12))
        assert (major, minor) == (1, 1)
        self.requests.append((command, _recv_exactly(conn, length)))
        status, body = self.answers[command]
        payload = struct.pack("<I", status) + body
        conn.sendall(struct.pack("<BBHII", 1, 1, 0, command | 0x00800000, len(payload)) + payload)

    def close(self):
        self._listener.close()
        os.unlink(self.path)
        os.rmdir(self._dir)


@pytest.fixture
def engine_factory():
    engines = []

    def make(answers, **kwargs):
        engine = FakeEngine(answers, **kwargs)
        engines.append(engine)
        return engine
    yield make
    for engine in engines:
        engine.close()


def test_local_system_account(engine_factory):
    body = b"$$OsAdmin".ljust(33, b"\0") + b"S3cret!pw".ljust(33, b"\0")
    engine = engine_factory({0x04000067: (0, body)})
    assert MeiClient(engine.path).get_local_system_account() == ("$$OsAdmin", "S3cret!pw")
    assert engine.clients == [AMTHI_GUID]
    assert engine.requests == [(0x04000067, bytes(40))]


def test_control_mode_provisioning_state_and_uuid(engine_factory):
    engine = engine_factory({
        0x0400006B: (0, struct.pack("<I", 2)),
        0x04000011: (0, struct.pack("<I", 1)),
        0x0400005C: (0, bytes.fromhex("78563412bc9af0de1122334455667788")),
    })
    client = MeiClient(engine.path)
    assert client.get_control_mode() == 2
    assert client.get_provisioning_state() == 1
    assert client.get_uuid() == "12345678-9abc-def0-1122-334455667788"


def test_code_versions_and_dns_suffix(engine_factory):
    def version(text):
        return struct.pack("<H", len(text)) + text.encode().ljust(20, b"\0")
    table = version("AMT") + version("16.1.27") + version("Build Number") + version("2176")
    body = b"BIOS 1.0".ljust(65, b"\0") + struct.pack("<I", 2) + table + bytes(48 * 44)
    engine = engine_factory({0x0400001A: (0, body), 0x04000036: (0, struct.pack("<H", 14) + b"amtsim.example")})
    client = MeiClient(engine.path)
    assert client.get_code_versions() == {"bios_version": "BIOS 1.0", "versions": {"AMT": "16.1.27", "Build Number": "2176"}}
    assert client.get_dns_suffix() == "amtsim.example"


def test_change_enabled_goes_to_the_watchdog_client(engine_factory):
    engine = engine_factory({}, change_enabled=0xC3)
    assert MeiClient(engine.path).get_change_enabled() == 0xC3
    assert engine.clients == [WATCHDOG_GUID]
    assert engine.requests == [("watchdog", bytes((0x05, 0x02, 0x51, 0x10)))]


def test_start_configuration_hbased_sends_rpc_go_layout_and_returns_firmware_hash(engine_factory):
    firmware_hash = bytes(range(100, 132))
    engine = engine_factory({0x0400008B: (0, b"\x02" + firmware_hash.ljust(64, b"\0"))})
    root_hash = "ab" * 32
    answer = MeiClient(engine.path).start_configuration_hbased(root_hash, "SHA256", dns_suffixes=["amtsim.example"])
    assert answer == firmware_hash.hex()
    command, payload = engine.requests[0]
    assert command == 0x0400008B and len(payload) == 390
    assert payload[0] == 2 and payload[1:33] == b"\xab" * 32 and payload[33:65] == bytes(32)
    assert payload[65] == 0 and struct.unpack_from("<I", payload, 66)[0] == 15
    assert payload[70:85] == b"amtsim.example\0"


def test_start_configuration_hbased_rejects_wrong_hash_before_sending(engine_factory):
    engine = engine_factory({})
    with pytest.raises(MeiError, match="sha256 hash is 32 bytes"):
        MeiClient(engine.path).start_configuration_hbased("ab" * 20)
    with pytest.raises(MeiError, match="sha256 or sha384"):
        MeiClient(engine.path).start_configuration_hbased("ab" * 20, "sha1")
    assert engine.requests == []


def test_certificate_hashes_enumerate_then_fetch_each(engine_factory):
    def entry(digest, name, active):
        return (struct.pack("<II", 1, active) + digest.ljust(64, b"\0") + b"\x02"
                + struct.pack("<H", len(name)) + name.encode())
    engine = engine_factory({0x0400002C: (0, struct.pack("<III", 2, 4, 9)),
                             0x0400002D: (0, entry(b"\x11" * 32, "Root A", 1))})
    hashes = MeiClient(engine.path).get_certificate_hashes()
    assert hashes == [{"hash": "11" * 32, "algorithm": "sha256", "name": "Root A", "is_active": True, "is_default": True}] * 2
    assert [payload for _command, payload in engine.requests[1:]] == [struct.pack("<I", 4), struct.pack("<I", 9)]


def test_failure_status_raises_with_its_name(engine_factory):
    engine = engine_factory({0x04000010: (3, b""), 0x0400005E: (0, b"")})
    client = MeiClient(engine.path)
    with pytest.raises(MeiError) as raised:
        client.unprovision()
    assert raised.value.status == 3 and raised.value.status_name == "AMT_STATUS_INVALID_AMT_MODE"
    assert raised.value.to_result()["return_name"] == "AMT_STATUS_INVALID_AMT_MODE"
    assert engine.requests[0] == (0x04000010, struct.pack("<I", 0))
    client.stop_configuration()
    assert engine.requests[1] == (0x0400005E, b"")


def test_missing_interface_is_a_mei_error(tmp_path):
    with pytest.raises(MeiError, match="cannot open"):
        MeiClient(str(tmp_path / "absent.sock")).get_control_mode()


def test_guids_match_the_documented_client_ids():
    assert mei.AMTHI_CLIENT.bytes_le == AMTHI_GUID
    assert mei.WATCHDOG_CLIENT == uuid.UUID("05b79a6f-4628-4d7f-899d-a91514cb32ab")
    assert mei.IOCTL_MEI_CONNECT_CLIENT == 0xC0104801


def test_firmware_version_joins_the_build():
    assert mei.firmware_version({"versions": {"AMT": "19.0.5", "Build Number": "2010"}}) == "19.0.5.2010"
    assert mei.firmware_version({"versions": {"AMT": "11.8.50"}}) == "11.8.50"
