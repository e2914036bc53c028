# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provisioning certificate of admin control mode: a PKCS#12 with the leaf key and its chain.

Loads the bundle, orders the chain leaf first (the order AddNextCertInChain needs, docs/amt-reference.md 3.2), checks it the
way the firmware will (each certificate signed by the next, a self-signed root, Intel's provisioning usage on the
leaf, the DNS suffix) and signs the activation nonces with the leaf key. Messages name the option, never a secret.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

CERT_OPTION = "provisioning_cert"
PASSWORD_OPTION = "provisioning_cert_password"
# Intel's AMT provisioning usage: the extended key usage OID, or the organizational unit of older certificates.
AMT_PROVISIONING_OID = "2.16.840.1.113741.1.2.3"
AMT_PROVISIONING_OU = "Intel(R) Client Setup Certificate"
# AddNextCertInChain answers CERT_CHAIN_LENGTH_EXCEEDED beyond this (the simulator's limit; real firmware UNCONFIRMED).
MAX_CHAIN_LENGTH = 4


def _der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def _subject(cert):
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else cert.subject.rfc4514_string()


def _issued_by(child, parent):
    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _same_public_key(cert, key):
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return cert.public_key().public_bytes(serialization.Encoding.DER, spki) == key.public_key().public_bytes(serialization.Encoding.DER, spki)


def decode_content(content):
    """The PKCS#12 bytes of provisioning_cert_content, which is base64 text (as Intel's tools take it)."""
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("provisioning_cert_content: must be the base64 text of a PKCS#12 file") from None


def order_chain(leaf, others):
    """Leaf first, each certificate followed by its issuer, the self-signed root last. Raises InvalidInputError."""
    chain = [leaf]
    remaining = list(others)
    while True:
        current = chain[-1]
        if _issued_by(current, current):
            break
        issuer = next((cert for cert in remaining if _issued_by(current, cert)), None)
        if issuer is None:
            raise InvalidInputError("%s: the chain is incomplete, no certificate in it issued %r, so it cannot reach a root"
                                    % (CERT_OPTION, _subject(current)))
        chain.append(issuer)
        remaining.remove(issuer)
    if remaining:
        raise InvalidInputError("%s: holds certificates that are not in the leaf's chain: %s"
                                % (CERT_OPTION, ", ".join(repr(_subject(cert)) for cert in remaining)))
    if len(chain) > MAX_CHAIN_LENGTH:
        raise InvalidInputError("%s: the chain has %d certificates; AMT accepts at most %d" % (CERT_OPTION, len(chain), MAX_CHAIN_LENGTH))
    return chain


def is_provisioning_leaf(cert):
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if any(usage.dotted_string == AMT_PROVISIONING_OID for usage in usages):
            return True
    except x509.ExtensionNotFound:
        pass
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(unit.value == AMT_PROVISIONING_OU for unit in units)


def dns_names(cert):
    names = [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        names += cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return sorted(set(str(name).lower() for name in names))


def matches_suffix(names, suffix):
    suffix = (suffix or "").lower().strip(".")
    return bool(suffix) and any(name == suffix or name.endswith("." + suffix) for name in names)


def _not_valid_after(cert):
    # cryptography >= 42 offers the aware datetime; older releases (Python 3.8) only the naive UTC one.
    after = getattr(cert, "not_valid_after_utc", None)
    return after if after is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


class ProvisioningCertificate:
    """A loaded and checked provisioning certificate. chain: leaf first; key: the leaf's RSA key."""

    def __init__(self, chain, key):
        self.chain = chain
        self._key = key

    @property
    def leaf(self):
        return self.chain[0]

    @property
    def chain_der(self):
        return [_der(cert) for cert in self.chain]

    @property
    def leaf_hash(self):
        """SHA-256 of the leaf (hex): what StartConfigurationHBased pins for the mutual TLS session (rpc-go)."""
        return hashlib.sha256(_der(self.leaf)).hexdigest()

    @property
    def root_hash(self):
        """SHA-256 of the root (hex): must be in the firmware's trusted hash list."""
        return hashlib.sha256(_der(self.chain[-1])).hexdigest()

    @property
    def dns_names(self):
        return dns_names(self.leaf)

    def sign_nonces(self, configuration_nonce, mc_nonce):
        """DigitalSignature of AdminSetup / UpgradeClientToAdmin: RSA-SHA256 over ConfigurationNonce || McNonce."""
        return self._key.sign(configuration_nonce + mc_nonce, padding.PKCS1v15(), hashes.SHA256())

    def client_cert_pem(self):
        """The leaf and its intermediates, for the mutual TLS session of AMT 19 activation."""
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.chain[:-1])

    def key_pem(self):
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def load(data, password, now=None):
    """Load and check a PKCS#12 bundle. Raises InvalidInputError naming the option and the cause."""
    try:
        key, leaf, others = pkcs12.load_key_and_certificates(data, password.encode("utf-8") if password else None)
    except (ValueError, TypeError):
        raise InvalidInputError("%s: cannot be opened, it is not a PKCS#12 file or %s is wrong" % (CERT_OPTION, PASSWORD_OPTION)) from None
    if key is None:
        raise InvalidInputError("%s: holds no private key, AMT needs the leaf's key to sign the activation nonces; "
                                "export the PKCS#12 with its private key" % CERT_OPTION)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInputError("%s: the key is not RSA, AMT accepts only RSA-SHA256 activation signatures" % CERT_OPTION)
    certificates = ([leaf] if leaf is not None else []) + list(others or [])
    leaf = next((cert for cert in certificates if _same_public_key(cert, key)), None)
    if leaf is None:
        raise InvalidInputError("%s: holds a private key that belongs to none of its certificates" % CERT_OPTION)
    chain = order_chain(leaf, [cert for cert in certificates if cert is not leaf])
    if not is_provisioning_leaf(leaf):
        raise InvalidInputError("%s: the leaf (%r) is not an AMT provisioning certificate, it needs the extended key usage %s "
                                "or the organizational unit %r" % (CERT_OPTION, _subject(leaf), AMT_PROVISIONING_OID, AMT_PROVISIONING_OU))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    expired = [cert for cert in chain if _not_valid_after(cert) < now]
    if expired:
        raise InvalidInputError("%s: has expired certificates: %s" % (CERT_OPTION, ", ".join(repr(_subject(cert)) for cert in expired)))
    return ProvisioningCertificate(chain, key)
