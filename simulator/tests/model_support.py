"""A small stand-in for amtsim.pki (same attributes) and helpers for the model tests."""
from __future__ import annotations

import datetime
import hashlib
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from amtsim.model import Device
from amtsim.model.access import ADMIN_REALMS, LOCAL_SYSTEM
from amtsim.types import Caller

AMT_PROVISIONING_OID = x509.ObjectIdentifier("2.16.840.1.113741.1.2.3")
DNS_SUFFIX = "model.test"


def _certificate(subject: str, key, issuer_name, issuer_key, ca: bool, eku=None, dns=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def der(certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


class FakePki:
    def __init__(self):
        self.dns_suffix = DNS_SUFFIX
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ca = _certificate("fake CA", self._key, None, None, ca=True)
        self.ca_cert_pem = self.ca.public_bytes(serialization.Encoding.PEM)
        self.root = self.ca
        self.provisioning_root_cert_pem = self.ca_cert_pem
        self.provisioning_root_hash_sha256 = hashlib.sha256(der(self.root)).hexdigest()
        self.leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.leaf = self.make_leaf(f"provisioning.{DNS_SUFFIX}")
        self.issued = []

    def make_leaf(self, name: str, eku=(ExtendedKeyUsageOID.SERVER_AUTH, AMT_PROVISIONING_OID)):
        return _certificate(name, self.leaf_key, self.ca.subject, self._key, ca=False, eku=list(eku), dns=name)

    def sign_nonces(self, configuration_nonce: bytes, mc_nonce: bytes) -> bytes:
        return self.leaf_key.sign(configuration_nonce + mc_nonce, padding.PKCS1v15(), hashes.SHA256())

    def issue_device_cert(self, common_name: str, san_ips) -> tuple:
        self.issued.append((common_name, list(san_ips)))
        cert = _certificate(common_name, self._key, self.ca.subject, self._key, ca=False, dns=common_name)
        return (cert.public_bytes(serialization.Encoding.PEM) + self.ca_cert_pem,
                self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))


def new_device(pki, profile="factory", firmware="16.1.27.2176", seed=1, index=1) -> Device:
    return Device.new(index, profile, firmware, random.Random(seed), pki)


def admin(interface="remote", tls=True, username="admin") -> Caller:
    return Caller(interface=interface, tls=tls, username=username, realms=ADMIN_REALMS)


def local_system(tls=False, client_cert_der=None) -> Caller:
    return Caller(interface="local", tls=tls, username="$$OsAdmin", realms=frozenset({LOCAL_SYSTEM}),
                  client_cert_der=client_cert_der)


def user(device: Device, username: str, interface="remote") -> Caller:
    return Caller(interface=interface, tls=True, username=username, realms=device.realms_of(username))
