"""amtsim.mei frames: requests decode to the documented args, results encode to rpc-go's layouts."""
import struct
import uuid

import pytest

from amtsim import mei


def _request(command: int, payload: bytes = b"") -> tuple:
    header = struct.pack("<BBHII", 1, 1, 0, command, len(payload))
    return struct.unpack("<BBHII", header)[3], payload


def _split(frame: bytes) -> tuple:
    major, minor, _reserved, command, length = struct.unpack_from("<BBHII", frame)
    assert (major, minor) == (1, 1)
    assert len(frame) == 12 + length
    return command, struct.unpack_from("<I", frame, 12)[0], frame[16:]


@pytest.mark.parametrize("name, code", sorted(mei.COMMAND_CODES.items()))
def test_command_codes_are_rpc_go_values_and_answers_set_the_response_bit(name, code):
    assert code & 0xFF000000 == 0x04000000
    command, status, body = _split(mei.encode_response(code, 0))
    assert command == code | 0x00800000 and status == 0 and body == b""


def test_codes_of_rpc_go_pkg_pthi():
    assert mei.COMMAND_CODES["GetLocalSystemAccount"] == 0x04000067
    assert mei.COMMAND_CODES["StartConfigurationHBased"] == 0x0400008B
    assert mei.COMMAND_CODES["GetDNSSuffix"] == 0x04000036


def test_get_local_system_account_requires_its_40_reserved_bytes():
    assert mei.decode_request(*_request(0x04000067, bytes(40))) == ("GetLocalSystemAccount", {})
    with pytest.raises(mei.MalformedRequest):
        mei.decode_request(*_request(0x04000067))


def test_commands_without_payload_reject_one():
    assert mei.decode_request(*_request(0x0400006B)) == ("GetControlMode", {})
    with pytest.raises(mei.MalformedRequest):
        mei.decode_request(*_request(0x0400006B, b"\0"))


def test_unknown_command_is_malformed():
    with pytest.raises(mei.MalformedRequest):
        mei.decode_request(0x04000099, b"")


def test_start_configuration_hbased_request_layout():
    digest = bytes(range(32))
    suffixes = b"amtsim.example\0corp.test\0"
    payload = (struct.pack("<B", 2) + digest.ljust(64, b"\0") + struct.pack("<?I", True, len(suffixes))
               + suffixes.ljust(320, b"\0"))
    assert len(payload) == 390
    name, args = mei.decode_request(0x0400008B, payload)
    assert name == "StartConfigurationHBased"
    assert args == {"hash_algorithm": 2, "server_cert_hash": digest.hex(), "host_vpn_enable": True,
                    "dns_suffixes": ["amtsim.example", "corp.test"]}
    with pytest.raises(mei.MalformedRequest):
        mei.decode_request(0x0400008B, b"\x01" + payload[1:])


def test_u32_arguments():
    assert mei.decode_request(0x04000010, struct.pack("<I", 0)) == ("Unprovision", {"mode": 0})
    assert mei.decode_request(0x0400002D, struct.pack("<I", 7)) == ("GetCertificateHashEntry", {"handle": 7})


def test_local_system_account_result_layout():
    frame = mei.encode_result("GetLocalSystemAccount", {"status": 0, "username": "$$OsAdmin", "password": "p" * 32})
    status, body = _split(frame)[1:]
    assert status == 0 and len(body) == 66
    assert body[:33].rstrip(b"\0") == b"$$OsAdmin" and body[33:].rstrip(b"\0") == b"p" * 32


def test_uuid_is_sent_in_smbios_byte_order():
    text = "12345678-9abc-def0-1122-334455667788"
    body = _split(mei.encode_result("GetUUID", {"status": 0, "uuid": text}))[2]
    assert body == bytes.fromhex("78563412bc9af0de1122334455667788")


def test_code_versions_fixed_table():
    result = {"status": 0, "bios_version": "AMTSIM.0001", "versions": [("AMT", "16.1.27"), ("Build Number", "2176")]}
    body = _split(mei.encode_result("GetCodeVersions", result))[2]
    assert len(body) == 65 + 4 + 50 * 44
    assert struct.unpack_from("<I", body, 65)[0] == 2
    length, = struct.unpack_from("<H", body, 69)
    assert body[71:71 + length] == b"AMT"
    assert body[69 + 22 + 2:69 + 22 + 2 + 7] == b"16.1.27"


def test_failure_carries_only_the_status():
    command, status, body = _split(mei.encode_result("Unprovision", {"status": 3}))
    assert command == 0x04800010 and status == 3 and body == b""


def test_hash_entry_and_handles_layout():
    body = _split(mei.encode_result("EnumerateHashHandles", {"status": 0, "handles": [1, 2, 5]}))[2]
    assert struct.unpack("<4I", body) == (3, 1, 2, 5)
    entry = {"status": 0, "is_default": True, "is_active": False, "hash_algorithm": 2, "hash": "ab" * 32,
             "name": "VeriSign Class 3"}
    body = _split(mei.encode_result("GetCertificateHashEntry", entry))[2]
    assert struct.unpack_from("<II", body) == (1, 0)
    assert body[8:40] == b"\xab" * 32 and body[40:72] == bytes(32)
    assert body[72] == 2
    assert struct.unpack_from("<H", body, 73)[0] == 16 and body[75:] == b"VeriSign Class 3"


def test_client_guids_are_the_ioctl_bytes_of_rpc_go():
    assert mei.AMTHI_CLIENT_GUID == bytes([0x28, 0x00, 0xf8, 0x12, 0xb7, 0xb4, 0x2d, 0x4b,
                                           0xac, 0xa8, 0x46, 0xe0, 0xff, 0x65, 0x81, 0x4c])
    assert uuid.UUID(bytes_le=mei.WATCHDOG_CLIENT_GUID) == uuid.UUID("05b79a6f-4628-4d7f-899d-a91514cb32ab")
