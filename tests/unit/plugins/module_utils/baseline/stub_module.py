# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the baseline runner needs of an AmtModule, without a device: the task's parameters, check mode and redaction."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


class StubModule:
    def __init__(self, hostname="amt.example.com", check_mode=False, secrets=()):
        self.params = {"username": "admin", "use_tls": True, "client_cert": None, "client_key": None}
        self.hostname = hostname
        self.check_mode = check_mode
        self.secrets = tuple(secrets)

    @property
    def client(self):
        raise AssertionError("the runner reached for the device")

    def connect(self, **_overrides):
        raise AssertionError("the runner reached for the device")

    def redact(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text


def site_ca():
    """A CA certificate and its key, PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "baseline unit test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    return {"certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
            "key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()}
