"""amtsim.mei over a real Unix socket against real model Devices, command by command."""
import asyncio
import random
import socket
import struct
import threading
import uuid

import pytest

from amtsim.mei import MeiEndpoint
from amtsim.model import Device
from amtsim.pki import Pki

pytestmark = pytest.mark.timeout(30)
AMTHI = uuid.UUID("12f80028-b4b7-4b2d-aca8-46e0ff65814c").bytes_le
WATCHDOG = uuid.UUID("05b79a6f-4628-4d7f-899d-a91514cb32ab").bytes_le
FIRMWARE = "16.1.27.2176"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("mei-pki"))


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    asyncio.run_coroutine_threadsafe(_finish_connections(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def _finish_connections():
    """Let the handlers of closed client connections end before the loop stops."""
    pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    if pending:
        await asyncio.wait(pending, timeout=2)


class Served:
    def __init__(self, device, path, changes):
        self.device, self.path, self.changes = device, path, changes

    def _link(self, client):
        link = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        link.settimeout(5)
        link.connect(str(self.path))
        link.sendall(client)
        max_length, version = struct.unpack("<IB3x", _exactly(link, 8))
        assert max_length >= 4096 and version == 1
        return link

    def call(self, command, payload=b""):
        """(status, body) of one AMTHI command."""
        with self._link(AMTHI) as link:
            link.sendall(struct.pack("<BBHII", 1, 1, 0, command, len(payload)) + payload)
            major, minor, _reserved, answered, length = struct.unpack("<BBHII", _exactly(link, 12))
            assert (major, minor, answered) == (1, 1, command | 0x00800000)
            body = _exactly(link, length)
        return struct.unpack_from("<I", body)[0], body[4:]

    def change_enabled(self):
        with self._link(WATCHDOG) as link:
            link.sendall(bytes((0x05, 0x02, 0x51, 0x10)))
            return _exactly(link, 1)[0]


def _exactly(link, size):
    data = b""
    while len(data) < size:
        chunk = link.recv(size - len(data))
        assert chunk, "connection closed early"
        data += chunk
    return data


@pytest.fixture
def serve(loop, pki, tmp_path):
    servers = []

    def start(profile, index=1):
        device = Device.new(index, profile, FIRMWARE, random.Random(index), pki)
        changes = []
        endpoint = MeiEndpoint(device, tmp_path / "mei" / f"{index:04d}.sock", changes.append)
        servers.append(asyncio.run_coroutine_threadsafe(endpoint.start(), loop).result(5))
        return Served(device, endpoint.path, changes)
    yield start
    for server in servers:
        loop.call_soon_threadsafe(server.close)


def test_factory_device_reports_pre_provisioning(serve):
    served = serve("factory")
    assert served.call(0x0400006B) == (0, struct.pack("<I", 0))
    assert served.call(0x04000011) == (0, struct.pack("<I", 0))
    status, body = served.call(0x0400005C)
    assert status == 0 and str(uuid.UUID(bytes_le=body)) == served.device.uuid


def test_ccm_and_acm_devices_report_their_mode(serve):
    assert serve("ccm", 2).call(0x0400006B) == (0, struct.pack("<I", 1))
    acm = serve("acm", 3)
    assert acm.call(0x0400006B) == (0, struct.pack("<I", 2))
    assert acm.call(0x04000011) == (0, struct.pack("<I", 2))


def test_local_system_account_is_usable_on_the_local_interface(serve):
    served = serve("factory")
    status, body = served.call(0x04000067, bytes(40))
    assert status == 0 and len(body) == 66
    username = body[:33].split(b"\0")[0].decode()
    assert username and body[33:].split(b"\0")[0]
    assert served.device.ha1(username, "local") is not None


def test_code_versions_name_the_firmware(serve):
    status, body = serve("factory").call(0x0400001A)
    assert status == 0 and len(body) == 65 + 4 + 50 * 44
    count = struct.unpack_from("<I", body, 65)[0]
    versions = {}
    for entry in range(count):
        offset = 69 + entry * 44
        description = body[offset + 2:offset + 2 + struct.unpack_from("<H", body, offset)[0]].decode()
        versions[description] = body[offset + 24:offset + 44].split(b"\0")[0].decode()
    assert FIRMWARE.startswith(versions["AMT"])


def test_dns_suffix_and_change_enabled(serve):
    served = serve("factory")
    status, body = served.call(0x04000036)
    assert status == 0 and len(body) == 2 + struct.unpack_from("<H", body)[0]
    assert served.change_enabled() & 0x02


def test_trusted_hashes_include_the_provisioning_root(serve, pki):
    served = serve("factory")
    status, body = served.call(0x0400002C)
    assert status == 0
    count = struct.unpack_from("<I", body)[0]
    hashes = []
    for handle in struct.unpack_from(f"<{count}I", body, 4):
        status, entry = served.call(0x0400002D, struct.pack("<I", handle))
        assert status == 0
        assert entry[72] in (1, 2, 3, 5)
        length = {1: 20, 2: 32, 3: 48, 5: 64}[entry[72]]
        hashes.append(entry[8:8 + length].hex())
    assert pki.provisioning_root_hash_sha256 in hashes


def test_host_based_configuration_starts_and_stops(serve, pki):
    served = serve("factory")
    root = bytes.fromhex(pki.provisioning_root_hash_sha256)
    suffix = pki.dns_suffix.encode() + b"\0"
    payload = b"\x02" + root.ljust(64, b"\0") + struct.pack("<?I", False, len(suffix)) + suffix.ljust(320, b"\0")
    status, body = served.call(0x0400008B, payload)
    assert status == 0 and body[0] in (2, 3) and any(body[1:65])
    assert served.call(0x0400005E) == (0, b"")


def test_unprovision_over_mei_works_in_ccm_and_is_refused_in_acm(serve):
    ccm = serve("ccm", 4)
    assert ccm.call(0x04000010, struct.pack("<I", 0))[0] == 0
    assert ccm.call(0x0400006B) == (0, struct.pack("<I", 0))
    assert ccm.changes and all(changed is ccm.device for changed in ccm.changes)
    acm = serve("acm", 5)
    assert acm.call(0x04000010, struct.pack("<I", 0))[0] != 0
    assert acm.call(0x0400006B) == (0, struct.pack("<I", 2))


def test_malformed_request_gets_invalid_message_length(serve):
    served = serve("factory")
    assert served.call(0x04000067) == (4, b"")
    assert served.call(0x04000099) == (4, b"")
