# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throw-away test CA, a server certificate for 127.0.0.1 and a client certificate, made with cryptography."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, subject_key, issuer, issuer_key, is_ca, extensions=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


class TlsMaterial:
    """Files in ``directory``: ca.pem, server.pem, server.key, client.pem, client.key; plus the server fingerprint."""

    def __init__(self, directory):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("oob.amt test CA", ca_key, "oob.amt test CA", ca_key, True)
        server_key = ec.generate_private_key(ec.SECP256R1())
        server = _certificate("127.0.0.1", server_key, "oob.amt test CA", ca_key, False, [
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
        ])
        client_key = ec.generate_private_key(ec.SECP256R1())
        client = _certificate("ansible-client", client_key, "oob.amt test CA", ca_key, False, [
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
        ])
        self.ca = directory / "ca.pem"
        self.server_cert = directory / "server.pem"
        self.server_key = directory / "server.key"
        self.client_cert = directory / "client.pem"
        self.client_key = directory / "client.key"
        self.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.server_cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
        self.client_cert.write_bytes(client.public_bytes(serialization.Encoding.PEM))
        _write_key(self.server_key, server_key)
        _write_key(self.client_key, client_key)
        self.server_fingerprint = hashlib.sha256(server.public_bytes(serialization.Encoding.DER)).hexdigest()
