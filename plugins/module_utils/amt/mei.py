# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talk to the management engine from the host: AMTHI (PTHI) commands over /dev/mei0 or a simulator socket.

Frames (little-endian, packed): a 12-byte header {major u8 = 1, minor u8 = 1, reserved u16, command u32,
length u32} and ``length`` payload bytes. Responses carry ``command | 0x00800000`` and start their payload with the
AMT_STATUS u32. Command codes and payload layouts follow device-management-toolkit/rpc-go ``pkg/pthi``.

``GetChangeEnabled`` is not an AMTHI command: rpc-go sends the "state independence" request
``IsChangeToAMTEnabled`` (4 bytes, one byte back) to the watchdog client, so this module does the same.

Transports, chosen by what ``path`` is:

* a character device (``/dev/mei0``): open it, connect to the client with ``IOCTL_MEI_CONNECT_CLIENT``, then one
  write and one read per message;
* a Unix socket (the amtsim simulator): send the 16 GUID bytes the ioctl would take, read the 8 connect bytes,
  then exchange messages framed by their headers.

Every command opens its own connection, as rpc-go does.
"""

from __future__ import annotations

import fcntl
import os
import select
import socket
import stat
import struct
import uuid

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AmtError

DEFAULT_DEVICE = "/dev/mei0"
AMTHI_CLIENT = uuid.UUID("12f80028-b4b7-4b2d-aca8-46e0ff65814c")
WATCHDOG_CLIENT = uuid.UUID("05b79a6f-4628-4d7f-899d-a91514cb32ab")
IOCTL_MEI_CONNECT_CLIENT = 0xC0104801

_HEADER = struct.Struct("<BBHII")
_U32 = struct.Struct("<I")
_CONNECT_DATA = struct.Struct("<IB3x")
_RESPONSE_FLAG = 0x00800000

GET_LOCAL_SYSTEM_ACCOUNT = 0x04000067
GET_CONTROL_MODE = 0x0400006B
GET_PROVISIONING_STATE = 0x04000011
GET_UUID = 0x0400005C
GET_CODE_VERSIONS = 0x0400001A
GET_DNS_SUFFIX = 0x04000036
START_CONFIGURATION_HBASED = 0x0400008B
STOP_CONFIGURATION = 0x0400005E
UNPROVISION = 0x04000010
ENUMERATE_HASH_HANDLES = 0x0400002C
GET_CERTIFICATE_HASH_ENTRY = 0x0400002D

IS_CHANGE_TO_AMT_ENABLED_REQUEST = bytes((0x05, 0x02, 0x51, 0x10))

STATUS_NAMES = {
    0: "AMT_STATUS_SUCCESS",
    1: "AMT_STATUS_INTERNAL_ERROR",
    2: "AMT_STATUS_NOT_READY",
    3: "AMT_STATUS_INVALID_AMT_MODE",
    4: "AMT_STATUS_INVALID_MESSAGE_LENGTH",
    16: "AMT_STATUS_NOT_PERMITTED",
    23: "AMT_STATUS_MAX_LIMIT_REACHED",
    36: "AMT_STATUS_INVALID_PARAMETER",
    47: "AMT_STATUS_RNG_GENERATION_IN_PROGRESS",
    48: "AMT_STATUS_RNG_NOT_READY",
    49: "AMT_STATUS_CERTIFICATE_NOT_READY",
    2053: "AMT_STATUS_INVALID_HANDLE",
    2068: "AMT_STATUS_NOT_FOUND",
}

HASH_ALGORITHMS = {0: "md5", 1: "sha1", 2: "sha256", 3: "sha384", 4: "sha224", 5: "sha512"}
_HASH_ALGORITHM_CODES = {name: code for code, name in HASH_ALGORITHMS.items()}
_HASH_LENGTHS = {"md5": 16, "sha1": 20, "sha256": 32, "sha384": 48, "sha224": 28, "sha512": 64}
_CERT_HASH_MAX_LENGTH = 64
_MAX_DNS_SUFFIX_LIST = 320
_ACCOUNT_FIELD = 33
_BIOS_VERSION_FIELD = 65
_VERSION_STRING_FIELD = 20


class MeiError(AmtError):
    """The management engine refused a command (``status``/``status_name``) or could not be reached."""

    kind = "mei"

    def __init__(self, message, status=None, command=None):
        self.status = status
        self.status_name = status_name(status) if status is not None else None
        if self.status_name:
            message = "%s: %s" % (message, self.status_name)
        super().__init__(message, method=command, return_value=status, return_name=self.status_name)


def status_name(status):
    return STATUS_NAMES.get(status, "AMT_STATUS_UNKNOWN_%d" % status)


def _read_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise MeiError("the management engine closed the connection")
        data += chunk
    return data


class _SocketLink:
    """A simulator socket: messages are framed by their headers because a stream has no boundaries."""

    def __init__(self, path, client, timeout):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
            self._sock.sendall(client.bytes_le)
            _CONNECT_DATA.unpack(_read_exactly(self._sock, _CONNECT_DATA.size))
        except BaseException:
            self._sock.close()
            raise

    def exchange(self, request, fixed_response_size=None):
        self._sock.sendall(request)
        if fixed_response_size is not None:
            return _read_exactly(self._sock, fixed_response_size)
        header = _read_exactly(self._sock, _HEADER.size)
        return header + _read_exactly(self._sock, _HEADER.unpack(header)[4])

    def close(self):
        self._sock.close()


class _DeviceLink:
    """The MEI character device: the driver keeps message boundaries, one read returns one whole message."""

    def __init__(self, path, client, timeout):
        self._timeout = timeout
        self._fd = os.open(path, os.O_RDWR)
        try:
            connect_data = bytearray(client.bytes_le)
            fcntl.ioctl(self._fd, IOCTL_MEI_CONNECT_CLIENT, connect_data, True)
            self._max_length = _CONNECT_DATA.unpack_from(bytes(connect_data))[0]
        except BaseException:
            os.close(self._fd)
            raise

    def exchange(self, request, fixed_response_size=None):
        os.write(self._fd, request)
        readable = select.select([self._fd], [], [], self._timeout)[0]
        if not readable:
            raise MeiError("no answer from the management engine within %s seconds" % self._timeout)
        return os.read(self._fd, max(self._max_length, fixed_response_size or 0))

    def close(self):
        os.close(self._fd)


class MeiClient:
    """AMTHI commands returning plain Python values; failures raise MeiError."""

    def __init__(self, path=DEFAULT_DEVICE, timeout=10.0):
        self.path = path
        self.timeout = timeout

    def _open(self, client):
        try:
            mode = os.stat(self.path).st_mode
            if stat.S_ISSOCK(mode):
                return _SocketLink(self.path, client, self.timeout)
            return _DeviceLink(self.path, client, self.timeout)
        except OSError as error:
            raise MeiError("cannot open the management engine interface %s: %s" % (self.path, error.strerror or error))

    def _exchange(self, client, request, fixed_response_size=None):
        link = self._open(client)
        try:
            return link.exchange(request, fixed_response_size)
        except OSError as error:
            raise MeiError("management engine interface %s failed: %s" % (self.path, error))
        finally:
            link.close()

    def call(self, command, payload=b"", name=None):
        """Send one AMTHI command; return the response payload after the status. Raises MeiError."""
        request = _HEADER.pack(1, 1, 0, command, len(payload)) + payload
        response = self._exchange(AMTHI_CLIENT, request)
        label = name or "AMTHI command 0x%08x" % command
        if len(response) < _HEADER.size + _U32.size:
            raise MeiError("%s: short response" % label, command=name)
        _major, _minor, _reserved, response_command, length = _HEADER.unpack_from(response)
        if response_command != command | _RESPONSE_FLAG or length < _U32.size:
            raise MeiError("%s: unexpected response 0x%08x" % (label, response_command), command=name)
        body = response[_HEADER.size:_HEADER.size + length]
        status = _U32.unpack_from(body)[0]
        if status != 0:
            raise MeiError("%s failed" % label, status=status, command=name)
        return body[_U32.size:]

    def get_local_system_account(self):
        """(username, password) of the OS-only account that may use the local WS-Man interface."""
        body = self.call(GET_LOCAL_SYSTEM_ACCOUNT, bytes(40), "GetLocalSystemAccount")
        return _c_string(body[:_ACCOUNT_FIELD]), _c_string(body[_ACCOUNT_FIELD:2 * _ACCOUNT_FIELD])

    def get_control_mode(self):
        """0 not provisioned, 1 CCM, 2 ACM."""
        return _U32.unpack_from(self.call(GET_CONTROL_MODE, name="GetControlMode"))[0]

    def get_provisioning_state(self):
        """0 pre, 1 in, 2 post."""
        return _U32.unpack_from(self.call(GET_PROVISIONING_STATE, name="GetProvisioningState"))[0]

    def get_uuid(self):
        body = self.call(GET_UUID, name="GetUUID")
        return str(uuid.UUID(bytes_le=bytes(body[:16])))

    def get_code_versions(self):
        """{"bios_version": str, "versions": {description: version}}, e.g. versions["AMT"] == "16.1.27"."""
        body = self.call(GET_CODE_VERSIONS, name="GetCodeVersions")
        count = _U32.unpack_from(body, _BIOS_VERSION_FIELD)[0]
        offset = _BIOS_VERSION_FIELD + _U32.size
        versions = {}
        for _entry in range(count):
            description, offset = _version_string(body, offset)
            version, offset = _version_string(body, offset)
            versions[description] = version
        return {"bios_version": _c_string(body[:_BIOS_VERSION_FIELD]), "versions": versions}

    def get_dns_suffix(self):
        """The DNS suffix the firmware was given for PKI provisioning ("" when none)."""
        body = self.call(GET_DNS_SUFFIX, name="GetDNSSuffix")
        return _ansi_string(body, 0)[0]

    def get_change_enabled(self):
        """The IsChangeToAMTEnabled byte: 0x01 transition allowed, 0x02 AMT enabled, 0x40 TLS enforced locally,
        0x80 new interface version."""
        return self._exchange(WATCHDOG_CLIENT, IS_CHANGE_TO_AMT_ENABLED_REQUEST, fixed_response_size=1)[0]

    def start_configuration_hbased(self, cert_hash, algorithm="sha256", dns_suffixes=(), host_vpn_enable=False):
        """Start host-based ACM configuration with the provisioning root certificate's hash (hex).

        Returns the hex hash of the firmware's TLS certificate, to pin in the following mutual TLS session.
        """
        algorithm = algorithm.lower()
        if algorithm not in ("sha256", "sha384"):
            raise MeiError("StartConfigurationHBased takes a sha256 or sha384 hash, not %s" % algorithm)
        digest = bytes.fromhex(cert_hash.replace(":", ""))
        if len(digest) != _HASH_LENGTHS[algorithm]:
            raise MeiError("a %s hash is %d bytes, got %d" % (algorithm, _HASH_LENGTHS[algorithm], len(digest)))
        suffix_list = b"".join(suffix.encode("ascii") + b"\0" for suffix in dns_suffixes)
        if len(suffix_list) > _MAX_DNS_SUFFIX_LIST:
            raise MeiError("the DNS suffix list exceeds %d bytes" % _MAX_DNS_SUFFIX_LIST)
        payload = (struct.pack("<B", _HASH_ALGORITHM_CODES[algorithm]) + digest.ljust(_CERT_HASH_MAX_LENGTH, b"\0")
                   + struct.pack("<?I", bool(host_vpn_enable), len(suffix_list))
                   + suffix_list.ljust(_MAX_DNS_SUFFIX_LIST, b"\0"))
        body = self.call(START_CONFIGURATION_HBASED, payload, "StartConfigurationHBased")
        answer_algorithm = HASH_ALGORITHMS.get(body[0], "sha256")
        return body[1:1 + _HASH_LENGTHS[answer_algorithm]].hex()

    def stop_configuration(self):
        self.call(STOP_CONFIGURATION, name="StopConfiguration")

    def unprovision(self):
        """Return the device to pre-provisioning (CCM only; ACM answers AMT_STATUS_INVALID_AMT_MODE)."""
        return _U32.unpack_from(self.call(UNPROVISION, _U32.pack(0), "Unprovision"))[0]

    def get_certificate_hashes(self):
        """The firmware's trusted root certificate hashes: list of dicts with hash (hex), algorithm, name,
        is_active and is_default."""
        body = self.call(ENUMERATE_HASH_HANDLES, name="EnumerateHashHandles")
        count = _U32.unpack_from(body)[0]
        handles = struct.unpack_from("<%dI" % count, body, _U32.size)
        return [self._certificate_hash_entry(handle) for handle in handles]

    def _certificate_hash_entry(self, handle):
        body = self.call(GET_CERTIFICATE_HASH_ENTRY, _U32.pack(handle), "GetCertificateHashEntry")
        is_default, is_active = struct.unpack_from("<II", body)
        algorithm = HASH_ALGORITHMS.get(body[8 + _CERT_HASH_MAX_LENGTH], "unknown")
        digest = body[8:8 + _HASH_LENGTHS.get(algorithm, _CERT_HASH_MAX_LENGTH)]
        name = _ansi_string(body, 8 + _CERT_HASH_MAX_LENGTH + 1)[0]
        return {"hash": digest.hex(), "algorithm": algorithm, "name": name,
                "is_active": bool(is_active), "is_default": bool(is_default)}


def firmware_version(code_versions):
    """The AMT firmware version M.m.h.b from MeiClient.get_code_versions(): M.m.h joined with the build number."""
    versions = code_versions["versions"]
    version = versions.get("AMT", "")
    build = versions.get("Build Number")
    return "%s.%s" % (version, build) if version and build else version


def _c_string(field):
    return bytes(field).split(b"\0", 1)[0].decode("utf-8", "replace")


def _ansi_string(body, offset):
    length = struct.unpack_from("<H", body, offset)[0]
    start = offset + 2
    return bytes(body[start:start + length]).decode("utf-8", "replace"), start + length


def _version_string(body, offset):
    length = min(struct.unpack_from("<H", body, offset)[0], _VERSION_STRING_FIELD)
    start = offset + 2
    return _c_string(body[start:start + length]), start + _VERSION_STRING_FIELD
