"""The host side of a device's management engine: AMTHI frames over one Unix socket per device.

On a real machine, ``/dev/mei0`` is opened, connected to a firmware client with the ioctl
``IOCTL_MEI_CONNECT_CLIENT`` (16-byte client GUID in, ``{max_message_length u32, protocol_version u8, 3 reserved}``
out), and then carries one message per write/read. The socket mirrors that:

1. the client sends the 16-byte client GUID (the ioctl's input bytes); the simulator answers with the 8 connect
   bytes, or closes the connection for a client it does not emulate (the ioctl's ENOTTY);
2. then requests and responses follow. A stream has no message boundaries, so each message is framed by its
   own header.

Emulated clients (GUIDs and layouts as device-management-toolkit/rpc-go ``pkg/heci``, ``pkg/pthi`` use them):

* AMTHI ``12f80028-b4b7-4b2d-aca8-46e0ff65814c``. Request header, little-endian, packed: major u8 = 1,
  minor u8 = 1, reserved u16, command u32, length u32 (payload bytes that follow). The response header carries
  ``command | 0x00800000`` and a length that counts the AMT_STATUS u32 that opens the payload. A response with a
  non-zero status carries nothing after the status.
* Watchdog ``05b79a6f-4628-4d7f-899d-a91514cb32ab``, which carries the "state independence" command
  IsChangeToAMTEnabled (rpc-go ``GetChangeEnabled``): request ``{command u8 = 5, byte_count u8 = 2,
  sub_command u8 = 0x51, version u8 = 0x10}`` (``byte_count`` bytes follow the first two), response one byte.

``device.mei(name, args)`` is called for every decoded request. Arguments and results (every result has
``status``, the AMT_STATUS; the other result keys are needed only when status is 0):

=========================  =============================================  ==================================================
command                    args                                           result keys besides ``status``
=========================  =============================================  ==================================================
GetLocalSystemAccount      {}                                             username (str), password (str), each <= 32 bytes
GetControlMode             {}                                             control_mode (int: 0 none, 1 CCM, 2 ACM)
GetProvisioningState       {}                                             provisioning_state (int: 0 pre, 1 in, 2 post)
GetUUID                    {}                                             uuid (str, 8-4-4-4-12; sent in SMBIOS byte order)
GetCodeVersions            {}                                             bios_version (str <= 64 bytes), versions (list of
                                                                          (description, version) str pairs, <= 50, each
                                                                          string <= 20 bytes; e.g. ("AMT", "16.1.27"),
                                                                          ("Build Number", "2176"), ("Sku", "16392"))
GetDNSSuffix               {}                                             dns_suffix (str, "" when none)
GetChangeEnabled           {}                                             change_enabled (int byte: 0x01 transition allowed,
                                                                          0x02 AMT enabled, 0x40 TLS enforced on local
                                                                          ports, 0x80 new interface version)
StartConfigurationHBased   hash_algorithm (int: 2 SHA-256, 3 SHA-384),    hash_algorithm (int), amt_cert_hash (lower-case hex
                           server_cert_hash (lower-case hex, 64 or 96     of the firmware's TLS certificate)
                           digits), host_vpn_enable (bool),
                           dns_suffixes (list of str)
StopConfiguration          {}                                             -
Unprovision                mode (int; rpc-go sends 0)                     state (int, optional, default 0)
EnumerateHashHandles       {}                                             handles (list of int, <= 33)
GetCertificateHashEntry    handle (int)                                   is_default (bool), is_active (bool),
                                                                          hash_algorithm (int: 0 MD5, 1 SHA-1, 2 SHA-256,
                                                                          3 SHA-384, 4 SHA-224, 5 SHA-512), hash (lower-case
                                                                          hex), name (str)
=========================  =============================================  ==================================================

A request with an unknown command code or a malformed payload is answered with AMT_STATUS_INVALID_MESSAGE_LENGTH
(4) without calling the device; a frame whose header is not version 1.1 closes the connection.
"""
from __future__ import annotations

import asyncio
import os
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

AMTHI_CLIENT_GUID = uuid.UUID("12f80028-b4b7-4b2d-aca8-46e0ff65814c").bytes_le
WATCHDOG_CLIENT_GUID = uuid.UUID("05b79a6f-4628-4d7f-899d-a91514cb32ab").bytes_le
MAX_MESSAGE_LENGTH = 4096
PROTOCOL_VERSION = 1
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes including the terminating NUL

HEADER = struct.Struct("<BBHII")
STATUS = struct.Struct("<I")
RESPONSE_FLAG = 0x00800000

AMT_STATUS_SUCCESS = 0
AMT_STATUS_INVALID_MESSAGE_LENGTH = 4

COMMAND_CODES = {
    "GetLocalSystemAccount": 0x04000067,
    "GetControlMode": 0x0400006B,
    "GetProvisioningState": 0x04000011,
    "GetUUID": 0x0400005C,
    "GetCodeVersions": 0x0400001A,
    "GetDNSSuffix": 0x04000036,
    "StartConfigurationHBased": 0x0400008B,
    "StopConfiguration": 0x0400005E,
    "Unprovision": 0x04000010,
    "EnumerateHashHandles": 0x0400002C,
    "GetCertificateHashEntry": 0x0400002D,
}
COMMAND_NAMES = {code: name for name, code in COMMAND_CODES.items()}

WATCHDOG_STATE_INDEPENDENCE = 0x05
WATCHDOG_IS_CHANGE_TO_AMT_ENABLED = 0x51

CERT_HASH_MAX_LENGTH = 64
HASH_LENGTHS = {0: 16, 1: 20, 2: 32, 3: 48, 4: 28, 5: 64}
MAX_DNS_SUFFIX_LIST = 320
CFG_MAX_ACL_LENGTH = 33
BIOS_VERSION_LENGTH = 65
VERSIONS_NUMBER = 50
UNICODE_STRING_LENGTH = 20
LOCAL_SYSTEM_ACCOUNT_RESERVED = 40


class MalformedRequest(ValueError):
    """A request payload that does not match its command's layout."""


# --- request payloads -----------------------------------------------------------------------------------------
def _no_args(payload: bytes) -> dict:
    if payload:
        raise MalformedRequest("command carries no payload")
    return {}


def _local_system_account_args(payload: bytes) -> dict:
    if len(payload) != LOCAL_SYSTEM_ACCOUNT_RESERVED:
        raise MalformedRequest("GetLocalSystemAccount carries 40 reserved bytes")
    return {}


_START_HBASED = struct.Struct(f"<B{CERT_HASH_MAX_LENGTH}s?I{MAX_DNS_SUFFIX_LIST}s")


def _start_configuration_hbased_args(payload: bytes) -> dict:
    if len(payload) != _START_HBASED.size:
        raise MalformedRequest("StartConfigurationHBased payload is 390 bytes")
    algorithm, cert_hash, vpn, suffix_length, suffix_list = _START_HBASED.unpack(payload)
    if algorithm not in (2, 3) or suffix_length > MAX_DNS_SUFFIX_LIST:
        raise MalformedRequest("unsupported hash algorithm or suffix list length")
    suffixes = [item.decode("ascii", "replace") for item in suffix_list[:suffix_length].split(b"\0") if item]
    return {"hash_algorithm": algorithm, "server_cert_hash": cert_hash[:HASH_LENGTHS[algorithm]].hex(),
            "host_vpn_enable": vpn, "dns_suffixes": suffixes}


def _u32_arg(key: str):
    def parse(payload: bytes) -> dict:
        if len(payload) != 4:
            raise MalformedRequest("payload is one u32")
        return {key: STATUS.unpack(payload)[0]}
    return parse


_ARGUMENT_PARSERS = {
    "GetLocalSystemAccount": _local_system_account_args,
    "GetControlMode": _no_args,
    "GetProvisioningState": _no_args,
    "GetUUID": _no_args,
    "GetCodeVersions": _no_args,
    "GetDNSSuffix": _no_args,
    "StartConfigurationHBased": _start_configuration_hbased_args,
    "StopConfiguration": _no_args,
    "Unprovision": _u32_arg("mode"),
    "EnumerateHashHandles": _no_args,
    "GetCertificateHashEntry": _u32_arg("handle"),
}


def decode_request(command: int, payload: bytes) -> tuple:
    """(command name, args) for an AMTHI request. Raises MalformedRequest."""
    name = COMMAND_NAMES.get(command)
    if name is None:
        raise MalformedRequest(f"unknown AMTHI command 0x{command:08x}")
    return name, _ARGUMENT_PARSERS[name](payload)


# --- response payloads ----------------------------------------------------------------------------------------
def _fixed_string(text: str, size: int) -> bytes:
    """NUL-padded field of ``size`` bytes; at least one NUL is kept as terminator."""
    data = text.encode("utf-8")
    if len(data) >= size:
        raise ValueError(f"string does not fit a {size}-byte field")
    return data.ljust(size, b"\0")


def _ansi_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<H", len(data)) + data


def _unicode_string(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) > UNICODE_STRING_LENGTH:
        raise ValueError("version strings are at most 20 bytes")
    return struct.pack("<H", len(data)) + data.ljust(UNICODE_STRING_LENGTH, b"\0")


def _hash_field(hex_digest: str) -> bytes:
    return bytes.fromhex(hex_digest).ljust(CERT_HASH_MAX_LENGTH, b"\0")


def _code_versions(result: dict) -> bytes:
    versions = result["versions"]
    if len(versions) > VERSIONS_NUMBER:
        raise ValueError("at most 50 code versions")
    table = b"".join(_unicode_string(description) + _unicode_string(version) for description, version in versions)
    empty_entry = b"\0" * (2 * (2 + UNICODE_STRING_LENGTH))
    return (_fixed_string(result["bios_version"], BIOS_VERSION_LENGTH) + struct.pack("<I", len(versions)) + table
            + empty_entry * (VERSIONS_NUMBER - len(versions)))


def _certificate_hash_entry(result: dict) -> bytes:
    return (struct.pack("<II", int(result["is_default"]), int(result["is_active"])) + _hash_field(result["hash"])
            + struct.pack("<B", result["hash_algorithm"]) + _ansi_string(result["name"]))


_RESULT_ENCODERS: dict = {
    "GetLocalSystemAccount": lambda r: (_fixed_string(r["username"], CFG_MAX_ACL_LENGTH)
                                        + _fixed_string(r["password"], CFG_MAX_ACL_LENGTH)),
    "GetControlMode": lambda r: STATUS.pack(r["control_mode"]),
    "GetProvisioningState": lambda r: STATUS.pack(r["provisioning_state"]),
    "GetUUID": lambda r: uuid.UUID(r["uuid"]).bytes_le,
    "GetCodeVersions": _code_versions,
    "GetDNSSuffix": lambda r: _ansi_string(r["dns_suffix"]),
    "StartConfigurationHBased": lambda r: struct.pack("<B", r["hash_algorithm"]) + _hash_field(r["amt_cert_hash"]),
    "StopConfiguration": lambda r: b"",
    "Unprovision": lambda r: STATUS.pack(r.get("state", 0)),
    "EnumerateHashHandles": lambda r: struct.pack(f"<I{len(r['handles'])}I", len(r["handles"]), *r["handles"]),
    "GetCertificateHashEntry": _certificate_hash_entry,
}


def encode_response(command: int, status: int, body: bytes = b"") -> bytes:
    """A complete AMTHI response frame."""
    payload = STATUS.pack(status) + (body if status == AMT_STATUS_SUCCESS else b"")
    return HEADER.pack(1, 1, 0, command | RESPONSE_FLAG, len(payload)) + payload


def encode_result(name: str, result: dict) -> bytes:
    """The response frame for ``device.mei(name, ...)``'s result."""
    status = result["status"]
    body = _RESULT_ENCODERS[name](result) if status == AMT_STATUS_SUCCESS else b""
    return encode_response(COMMAND_CODES[name], status, body)


# --- the socket ------------------------------------------------------------------------------------------------
@dataclass
class MeiEndpoint:
    """One device's socket. ``on_change(device)`` runs after every command that left the device dirty;
    ``apply_effects(device)`` (the network layer's, awaited after each answer) acts on the Effects the command
    queued, e.g. closing the listeners after Unprovision."""

    device: object
    path: Path
    on_change: Callable[[object], None]
    apply_effects: Callable[[object], Awaitable[None]] | None = None

    async def start(self) -> asyncio.AbstractServer:
        if len(os.fsencode(self.path)) > MAX_SOCKET_PATH:
            raise ValueError(f"{self.path}: a Unix socket path is at most {MAX_SOCKET_PATH} bytes; use a shorter state directory")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()
        return await asyncio.start_unix_server(self._serve, path=str(self.path))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            client = await reader.readexactly(16)
            if client == AMTHI_CLIENT_GUID:
                writer.write(struct.pack("<IB3x", MAX_MESSAGE_LENGTH, PROTOCOL_VERSION))
                await self._serve_amthi(reader, writer)
            elif client == WATCHDOG_CLIENT_GUID:
                writer.write(struct.pack("<IB3x", MAX_MESSAGE_LENGTH, PROTOCOL_VERSION))
                await self._serve_watchdog(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _serve_amthi(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            major, minor, _reserved, command, length = HEADER.unpack(await reader.readexactly(HEADER.size))
            if (major, minor) != (1, 1) or length > MAX_MESSAGE_LENGTH:
                return
            payload = await reader.readexactly(length)
            try:
                name, args = decode_request(command, payload)
            except MalformedRequest:
                writer.write(encode_response(command, AMT_STATUS_INVALID_MESSAGE_LENGTH))
            else:
                writer.write(encode_result(name, self._call(name, args)))
            await writer.drain()
            if self.apply_effects is not None:
                await self.apply_effects(self.device)

    async def _serve_watchdog(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            command, byte_count = await reader.readexactly(2)
            rest = await reader.readexactly(byte_count)
            if command != WATCHDOG_STATE_INDEPENDENCE or not rest or rest[0] != WATCHDOG_IS_CHANGE_TO_AMT_ENABLED:
                return
            writer.write(bytes([self._call("GetChangeEnabled", {}).get("change_enabled", 0) & 0xFF]))
            await writer.drain()

    def _call(self, name: str, args: dict) -> dict:
        result = self.device.mei(name, args)
        if self.device.dirty:
            self.on_change(self.device)
        return result
