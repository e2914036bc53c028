"""TLS on a device's 16993 as each firmware generation speaks it: versions, cipher suites, and failed handshakes that
end with a TLS alert.

Cipher suites (TLS 1.2 and older; OpenSSL names) by generation, and the public sources they rest on:

* Before 16 (AMT 11, 12 and, by assumption, 13 to 15): RSA key exchange only: AES128-SHA, AES256-SHA and
  AES128-GCM-SHA256, plus DHE-RSA-AES256-GCM-SHA384. device-management-toolkit/console issue #445 names exactly
  these four as what a Go client must add to its defaults to reach AMT 11 and 12, and go-wsman-messages
  (pkg/wsman/client/wsman.go, AllowInsecureCipherSuites) adds the three RSA ones. Go's defaults hold the ECDHE-RSA
  AES suites, so these firmware offer no ECDHE. The versions come from ``device.tls_versions()``: TLS 1.0 and 1.1
  are still there, so these listeners run at OpenSSL security level 0.
* 16 and later: ECDHE-RSA-AES128-GCM-SHA256 and ECDHE-RSA-AES256-GCM-SHA384, which Go clients with default suites
  (rpc-go, console) use, plus RSA key exchange AES128-GCM-SHA256 and AES256-GCM-SHA384. MeshCentral's AMT stack
  (amt/amt-wsman-comm.js) offers only ``RSA+AES:!aNULL:!MD5:!DSS`` and reaches every AMT it manages. The Intel AMT 22
  ADR (device-management-toolkit/deployment wiki, "ADR AMT22 support") removes TLS_RSA_WITH_AES_128_GCM_SHA256 in
  AMT 22, so it is offered up to 21; the AES-256 variant is our assumption. TLS 1.2 only (1.3 on 19 and later with
  the latency knob ``tls13``, with OpenSSL's TLS 1.3 suites), at OpenSSL's default security level.

A handshake with nothing in common ends with the alert OpenSSL chooses (handshake_failure for no shared suite,
protocol_version for no shared version). asyncio's ``start_tls`` drops that alert and closes the socket, so the
handshake runs here over memory BIOs and the alert is written before the connection closes.
"""
from __future__ import annotations

import contextlib
import os
import ssl
import warnings

READ_CHUNK = 65536
SUITES_BEFORE_16 = "AES128-SHA:AES256-SHA:AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"
SUITES_FROM_16 = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384"
# The RFC 7919 group ffdhe2048 (as `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048` writes it):
# OpenSSL offers DHE suites only with DH parameters loaded.
FFDHE2048_PEM = b"""-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
"""
_TLS_VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2,
                 "1.3": ssl.TLSVersion.TLSv1_3}


def firmware_major(firmware) -> int:
    """The major version of ``device.firmware`` (a Firmware or its ``major.minor.hotfix.build`` string)."""
    return int(str(firmware).split(".", 1)[0])


def server_context(firmware, versions: tuple, tls13: bool, identity: tuple) -> ssl.SSLContext:
    """A server context offering what firmware ``firmware`` offers: ``versions`` (1.3 only with ``tls13``) and the
    generation's suites, presenting ``identity`` (chain PEM, key PEM)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    offered = [version for version in versions if version != "1.3" or tls13]
    with warnings.catch_warnings():
        # ssl deprecates naming TLS 1.0 and 1.1, which legacy firmware still speaks.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = _TLS_VERSIONS[offered[0]]
        context.maximum_version = _TLS_VERSIONS[offered[-1]]
    if firmware_major(firmware) < 16:
        # OpenSSL 3 refuses TLS 1.0/1.1 and SHA-1 MACs above security level 0.
        context.set_ciphers(SUITES_BEFORE_16 + ":@SECLEVEL=0")
        _with_memory_file(FFDHE2048_PEM, context.load_dh_params)
    else:
        context.set_ciphers(SUITES_FROM_16)
    _load_identity(context, *identity)
    return context


def _with_memory_file(data: bytes, use) -> None:
    """Call ``use(path)`` with a path to ``data`` that never touches a disk (ssl loads certificates from paths only)."""
    descriptor = os.memfd_create("amtsim-tls", os.MFD_CLOEXEC)
    try:
        with open(descriptor, "wb", closefd=False) as handle:
            handle.write(data)
        use("/proc/self/fd/%d" % descriptor)
    finally:
        os.close(descriptor)


def _load_identity(context: ssl.SSLContext, chain_pem: bytes, key_pem: bytes) -> None:
    _with_memory_file(chain_pem, lambda chain_path: _with_memory_file(
        key_pem, lambda key_path: context.load_cert_chain(chain_path, key_path)))


class TlsSession:
    """The server side of one TLS connection over an asyncio stream pair, pumped through memory BIOs.

    After :meth:`handshake` it stands in for both the reader and the writer of the connection
    (``read``, ``write``, ``drain``, ``close``, ``transport``, ``get_extra_info("ssl_object")``).
    """

    def __init__(self, context: ssl.SSLContext, reader, writer):
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.ssl_object = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._reader, self._writer = reader, writer
        self.transport = writer.transport

    async def handshake(self) -> None:
        """Complete the handshake, or send the alert and raise the ssl.SSLError."""
        while True:
            try:
                self.ssl_object.do_handshake()
            except ssl.SSLWantReadError:
                await self._send_pending()
                await self._receive()
                continue
            except ssl.SSLError:
                with contextlib.suppress(ConnectionError):
                    await self._send_pending()
                raise
            await self._send_pending()
            return

    async def _receive(self) -> bool:
        data = await self._reader.read(READ_CHUNK)
        if not data:
            self._incoming.write_eof()
            return False
        self._incoming.write(data)
        return True

    async def _send_pending(self) -> None:
        pending = self._outgoing.read()
        if pending:
            self._writer.write(pending)
            await self._writer.drain()

    async def read(self, size: int) -> bytes:
        while True:
            try:
                return self.ssl_object.read(size)
            except ssl.SSLWantReadError:
                await self._send_pending()
                if not await self._receive():
                    return b""
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def write(self, data: bytes) -> None:
        self.ssl_object.write(data)
        self._writer.write(self._outgoing.read())

    async def drain(self) -> None:
        await self._writer.drain()

    def get_extra_info(self, name: str, default=None):
        return self.ssl_object if name == "ssl_object" else self._writer.get_extra_info(name, default)

    def close(self) -> None:
        """Send close_notify when the session is up, then close the socket."""
        with contextlib.suppress(ssl.SSLError, ValueError):
            self.ssl_object.unwrap()
        pending = self._outgoing.read()
        if pending and not self._writer.is_closing():
            self._writer.write(pending)
        self._writer.close()
