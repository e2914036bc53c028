# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS on AMT's network and local interfaces: the server certificate, trusted roots and AMT_TLSSettingData.

The server certificate's key pair is generated on the device (GenerateKeyPair); its request (GeneratePKCS10RequestEx)
is signed on the controller by the issuer the task gives, or the task gives a certificate signed elsewhere for a key
already on the device. AddCertificate stores it and AMT_TLSCredentialContext names it (Create, or Put when one
exists). Settings are Put per interface. None of it takes effect before CommitChanges, which the module runs after
these writes (docs/amt-reference.md 7.4; the order is the one Intel's RPS and rpc-go use).

A certificate is renewed when it expires within renew_before_days, or its subject or subject alternative names
differ from the task's. A key pair left on the device without a certificate (a run cut off after GenerateKeyPair,
or a request signed elsewhere) is reused rather than another one generated. A server certificate a run cut off after
CommitChanges left behind is recognised by leftovers() and removed with its key pair by the next run (tls_apply).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import ipaddress

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import epr
from ansible_collections.oob.amt.plugins.module_utils.amt.schema import as_bool, as_list
from ansible_collections.oob.amt.plugins.module_utils.units.base import Unit, refuse
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, NotPermittedError

SERVICE = schema.AMT_PUBLIC_KEY_MANAGEMENT_SERVICE
ENDPOINT_COLLECTION_NAME = "TLSProtocolEndpoint Instances Collection"
RSA_ALGORITHM = 0
SHA256_RSA = 1
KEY_LENGTHS = (2048, 3072)
# TrustedCN entries are RFC 1035 names (docs/amt-reference.md 7.4).
_MAX_NAME = 253


def fingerprint(der):
    """SHA-256 of a DER certificate as colon-separated upper-case byte pairs (the form cert_fingerprint takes)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[index:index + 2] for index in range(0, len(digest), 2))


def load_pem_certificates(option, text):
    """The certificates of a PEM text, or InvalidInputError naming the option."""
    try:
        certificates = x509.load_pem_x509_certificates(text.encode("utf-8"))
    except ValueError:
        refuse(option, "must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)")
    return certificates


def _der(certificate):
    return certificate.public_bytes(serialization.Encoding.DER)


def _public_key_der(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def _san_entries(names):
    entries = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def _names_of(certificate):
    """(common name, organization, subject alternative names as texts) of a certificate."""
    def attribute(oid):
        values = certificate.subject.get_attributes_for_oid(oid)
        return values[0].value if values else None
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [str(name) for name in extension.get_values_for_type(x509.DNSName)]
        sans += [str(address) for address in extension.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    return attribute(NameOID.COMMON_NAME), attribute(NameOID.ORGANIZATION_NAME), sans


def _not_after(certificate):
    try:
        return certificate.not_valid_after_utc
    except AttributeError:  # cryptography before 42
        return certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _validate_names(option, names, allow_ip):
    normalised = []
    for name in names:
        text = str(name).strip()
        if not text or len(text) > _MAX_NAME or any(character.isspace() for character in text):
            refuse(option, "each entry must be a DNS name%s of at most %d characters without spaces, got %r" % (
                " or IP address" if allow_ip else "", _MAX_NAME, name))
        normalised.append(text.lower() if not allow_ip else _normal_san(text))
    return normalised


def _normal_san(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.lower()


class Tls(Unit):
    """TLS of both interfaces. want: the validated options (see validate), or None to only read (amt_info)."""

    name = "tls"

    def __init__(self, options=None):
        super().__init__(options)
        self.new_certificate = None  # InstanceID of the server certificate added in this run
        self.new_der = None
        self.new_key = None  # InstanceID of the key pair generated (or reused) in this run

    # --- options -------------------------------------------------------------------------------------------
    def validate(self, options):
        if options is None:
            return None
        if not HAS_CRYPTOGRAPHY:
            refuse("server_certificate", "needs the Python library cryptography on the controller")
        certificate = dict(options["server_certificate"])
        certificate["common_name"] = (certificate.get("common_name") or "").strip()
        if not certificate["common_name"] or len(certificate["common_name"]) > 64:
            refuse("server_certificate.common_name", "must be 1 to 64 characters")
        certificate["subject_alt_names"] = sorted(set(_validate_names(
            "server_certificate.subject_alt_names", certificate.get("subject_alt_names") or [], True)))
        if certificate.get("key_length", 2048) not in KEY_LENGTHS:
            refuse("server_certificate.key_length", "must be one of %s" % ", ".join(str(length) for length in KEY_LENGTHS))
        if not 1 <= certificate.get("validity_days", 365) <= 3650:
            refuse("server_certificate.validity_days", "must be between 1 and 3650")
        if not 0 <= certificate.get("renew_before_days", 30) < certificate.get("validity_days", 365):
            refuse("server_certificate.renew_before_days", "must be 0 or more and less than validity_days")
        want = {
            "server_certificate": certificate,
            "issuer": self._issuer(options),
            "certificate": None,
            "trusted_roots": [],
            "mutual_authentication": options["mutual_authentication"],
            "trusted_cn": sorted(set(_validate_names("trusted_cn", options["trusted_cn"] or [], False))),
            "accept_non_secure_connections": options["accept_non_secure_connections"],
            "local_tls": options["local_tls"],
            "local_accept_non_secure_connections": options["local_accept_non_secure_connections"],
        }
        want["private_key"] = None
        if options.get("certificate"):
            given = load_pem_certificates("certificate", options["certificate"])[0]
            want["certificate"] = given
            if options.get("private_key"):
                want["private_key"] = _private_key_blob(options["private_key"], given)
            common_name, _organization, sans = _names_of(given)
            if common_name != certificate["common_name"] or sorted(_normal_san(name) for name in sans) != certificate["subject_alt_names"]:
                refuse("certificate", "must carry server_certificate's common_name and subject_alt_names (it has CN %r and %s)" % (
                    common_name, sans))
        for index, text in enumerate(options["trusted_root_certificates"] or []):
            for root in load_pem_certificates("trusted_root_certificates[%d]" % index, text):
                try:
                    is_ca = root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
                except x509.ExtensionNotFound:
                    is_ca = False
                if not is_ca:
                    refuse("trusted_root_certificates[%d]" % index, "must be a CA certificate (basic constraints CA:TRUE)")
                want["trusted_roots"].append(root)
        if want["mutual_authentication"]:
            if not want["trusted_roots"]:
                refuse("mutual_authentication", "needs trusted_root_certificates: the device accepts only clients they issued")
            if not (options.get("client_cert") and options.get("client_key")):
                refuse("mutual_authentication", "needs client_cert and client_key, or the task could not reach the device after the change")
        if want["trusted_cn"] and not want["mutual_authentication"]:
            refuse("trusted_cn", "applies only with mutual_authentication=true")
        if not want["local_tls"] and want["local_accept_non_secure_connections"] is False:
            want["local_accept_non_secure_connections"] = None
        return want

    @staticmethod
    def _issuer(options):
        """(certificate, private key) of the issuer, or None when no issuer is given."""
        if not options.get("issuer_certificate"):
            if options.get("issuer_private_key"):
                refuse("issuer_private_key", "needs issuer_certificate")
            return None
        if not options.get("issuer_private_key"):
            refuse("issuer_certificate", "needs issuer_private_key")
        issuer = load_pem_certificates("issuer_certificate", options["issuer_certificate"])[0]
        passphrase = options.get("issuer_private_key_passphrase")
        try:
            key = serialization.load_pem_private_key(options["issuer_private_key"].encode("utf-8"),
                                                     password=passphrase.encode("utf-8") if passphrase else None)
        except (ValueError, TypeError):
            refuse("issuer_private_key", "must be a PEM private key, with issuer_private_key_passphrase when it is encrypted")
        if _public_key_der_any(key.public_key()) != _public_key_der_any(issuer.public_key()):
            refuse("issuer_private_key", "must be the key of issuer_certificate")
        return issuer, key

    # --- reading -------------------------------------------------------------------------------------------
    def read(self, client):
        settings = dict((str(item.get("InstanceID")), item) for item in client.enumerate(schema.AMT_TLS_SETTING_DATA))
        contexts = client.enumerate(schema.AMT_TLS_CREDENTIAL_CONTEXT)
        context = None
        if contexts:
            element = contexts[0].get("ElementInContext")
            if not isinstance(element, dict) or "InstanceID" not in element.get("selectors", {}):
                raise DeviceError("AMT_TLSCredentialContext.ElementInContext names no certificate", class_name=schema.AMT_TLS_CREDENTIAL_CONTEXT)
            context = str(element["selectors"]["InstanceID"])
        keys = {}
        for key in client.enumerate(schema.AMT_PUBLIC_PRIVATE_KEY_PAIR):
            keys[str(key["InstanceID"])] = _b64("AMT_PublicPrivateKeyPair.DERKey", key.get("DERKey"))
        certificates = {}
        for entry in client.enumerate(schema.AMT_PUBLIC_KEY_CERTIFICATE):
            der = _b64("AMT_PublicKeyCertificate.X509Certificate", entry.get("X509Certificate"))
            certificate = x509.load_der_x509_certificate(der)
            public = _public_key_der_any(certificate.public_key())
            certificates[str(entry["InstanceID"])] = {
                "der": der, "certificate": certificate, "root": bool(as_bool(entry.get("TrustedRootCertficate"))),
                "key": next((instance_id for instance_id, key in keys.items() if key == public), None)}
        return {
            "remote": settings.get(schema.TLS_REMOTE_INSTANCE),
            "local": settings.get(schema.TLS_LOCAL_INSTANCE),
            "context": context,
            "certificates": certificates,
            "keys": keys,
        }

    def describe(self, state):
        remote, local = state["remote"] or {}, state["local"] or {}
        server = None
        if state["context"] in state["certificates"]:
            common_name, _organization, sans = _names_of(state["certificates"][state["context"]]["certificate"])
            server = {"common_name": common_name, "subject_alt_names": sorted(_normal_san(name) for name in sans)}
        return {
            "server_certificate": server,
            "trusted_root_certificates": sorted(
                entry["certificate"].public_bytes(serialization.Encoding.PEM).decode("ascii")
                for entry in state["certificates"].values() if entry["root"]),
            "remote_tls": bool(as_bool(remote.get("Enabled"))),
            "mutual_authentication": bool(as_bool(remote.get("MutualAuthentication"))),
            "trusted_cn": sorted(str(name) for name in as_list(remote.get("TrustedCN"))),
            "accept_non_secure_connections": bool(as_bool(remote.get("AcceptNonSecureConnections"))),
            "local_tls": bool(as_bool(local.get("Enabled"))),
            "local_accept_non_secure_connections": bool(as_bool(local.get("AcceptNonSecureConnections"))),
        }

    @staticmethod
    def server_certificate_facts(state):
        """Read-only facts of the certificate in use: fingerprint, expiry, issuer and handle; None without one."""
        entry = state["certificates"].get(state["context"])
        if entry is None:
            return None
        return {"fingerprint": fingerprint(entry["der"]), "not_after": _not_after(entry["certificate"]).isoformat(),
                "issuer": entry["certificate"].issuer.rfc4514_string(), "instance_id": state["context"]}

    # --- planning ------------------------------------------------------------------------------------------
    def renewal_reason(self, state):
        """Why the certificate in use must be replaced, or None when it satisfies the task."""
        entry = state["certificates"].get(state["context"])
        if entry is None:
            return "no server certificate is in use"
        problem = self._names_and_expiry_problem(entry["certificate"])
        if problem is not None:
            return problem
        given = self.want["certificate"]
        if given is not None and _der(given) != entry["der"]:
            return "it is not the given certificate"
        return None

    def _names_and_expiry_problem(self, certificate):
        want = self.want["server_certificate"]
        common_name, _organization, sans = _names_of(certificate)
        if common_name != want["common_name"]:
            return "its common name is %s" % common_name
        if sorted(_normal_san(name) for name in sans) != want["subject_alt_names"]:
            return "its subject alternative names are %s" % (", ".join(sans) or "none")
        expires = _not_after(certificate)
        if expires - _now() <= datetime.timedelta(days=want["renew_before_days"]):
            return "it expires on %s" % expires.date().isoformat()
        return None

    def settings_wanted(self, state):
        """The properties each AMT_TLSSettingData instance must have: {"remote": {...}, "local": {...}}."""
        want = self.want
        remote = {"Enabled": True, "MutualAuthentication": want["mutual_authentication"], "TrustedCN": want["trusted_cn"]}
        if (state["remote"] or {}).get("NonSecureConnectionsSupported") is None:
            remote["AcceptNonSecureConnections"] = want["accept_non_secure_connections"]
        local = {"Enabled": want["local_tls"]}
        if want["local_accept_non_secure_connections"] is not None:
            local["AcceptNonSecureConnections"] = want["local_accept_non_secure_connections"]
        return {"remote": remote, "local": local}

    @staticmethod
    def _differs(instance, properties):
        for name, value in properties.items():
            current = instance.get(name)
            if isinstance(value, list):
                if sorted(str(item).lower() for item in as_list(current)) != sorted(value):
                    return True
            elif as_bool(current) != value:
                return True
        return False

    def plan(self, state):
        changes = []
        stored = [entry["der"] for entry in state["certificates"].values() if entry["root"]]
        for root in self.want["trusted_roots"]:
            if _der(root) not in stored:
                changes.append({"action": "add_root", "certificate": root})
        reason = self.renewal_reason(state)
        if reason is not None:
            changes.append({"action": "certificate", "reason": reason, "replaces": state["context"]})
        wanted = self.settings_wanted(state)
        for interface in ("remote", "local"):
            instance = state[interface]
            if instance is None:
                raise DeviceError("the device has no %s AMT_TLSSettingData instance" % interface, class_name=schema.AMT_TLS_SETTING_DATA)
            if self._differs(instance, wanted[interface]):
                changes.append({"action": "settings", "interface": interface, "properties": wanted[interface]})
        return changes

    def diff(self, state, changes):
        return {"before": self.describe(state), "after": self._described_after(state, changes)}

    def _described_after(self, state, changes):
        """What describe() will show once the changes are made (a new certificate's handle is not known before)."""
        described = self.describe(state)
        for change in changes:
            if change["action"] == "add_root":
                described["trusted_root_certificates"] = sorted(described["trusted_root_certificates"] + [
                    change["certificate"].public_bytes(serialization.Encoding.PEM).decode("ascii")])
            elif change["action"] == "certificate":
                described["server_certificate"] = {key: self.want["server_certificate"][key] for key in ("common_name", "subject_alt_names")}
        described.update(remote_tls=True, mutual_authentication=self.want["mutual_authentication"], trusted_cn=self.want["trusted_cn"],
                         local_tls=self.want["local_tls"])
        if "AcceptNonSecureConnections" in self.settings_wanted(state)["remote"]:
            described["accept_non_secure_connections"] = self.want["accept_non_secure_connections"]
        if self.want["local_accept_non_secure_connections"] is not None:
            described["local_accept_non_secure_connections"] = self.want["local_accept_non_secure_connections"]
        return described

    def preflight(self, client, state, changes):
        remote, local = state["remote"], state["local"]
        if self.want["accept_non_secure_connections"] and as_bool(remote.get("NonSecureConnectionsSupported")) is False:
            raise NotPermittedError("accept_non_secure_connections: this firmware has no non-TLS port on the network interface (CSME 16.1 and later)",
                                    class_name=schema.AMT_TLS_SETTING_DATA)
        if as_bool(local.get("NonSecureConnectionsSupported")) is False and (
                not self.want["local_tls"] or self.want["local_accept_non_secure_connections"]):
            raise NotPermittedError("local_tls: the local interface accepts only TLS on this firmware (AMT 19 and later)",
                                    class_name=schema.AMT_TLS_SETTING_DATA)

    def summary(self, change):
        action = change["action"]
        if action == "add_root":
            return "add trusted root certificate %s" % change["certificate"].subject.rfc4514_string()
        if action == "certificate":
            return "install a new server certificate for %s (%s)" % (self.want["server_certificate"]["common_name"], change["reason"])
        if action == "settings":
            shown = ", ".join("%s=%s" % (name, value) for name, value in sorted(change["properties"].items()))
            return "set TLS on the %s interface: %s" % ("network" if change["interface"] == "remote" else "local", shown)
        raise ValueError(action)

    # --- writing -------------------------------------------------------------------------------------------
    def spare_key(self, state):
        """A key pair of the wanted length with no certificate, left by an earlier run: reused instead of a new one."""
        length = self.want["server_certificate"].get("key_length", 2048)
        for instance_id in sorted(state["keys"], reverse=True):
            used = any(entry["key"] == instance_id for entry in state["certificates"].values())
            if not used and _rsa_bits(state["keys"][instance_id]) == length:
                return instance_id
        return None

    def _key_pair(self, client, state):
        if self.new_key is None:
            self.new_key = self.spare_key(state)
        if self.new_key is None:
            outputs = client.invoke(SERVICE, "GenerateKeyPair", [
                ("KeyAlgorithm", RSA_ALGORITHM), ("KeyLength", self.want["server_certificate"].get("key_length", 2048))])
            self.new_key = str(outputs["KeyPair"]["selectors"]["InstanceID"])
        return self.new_key

    def request(self, client, state):
        """The device's signed request (PEM) for its key pair: GeneratePKCS10RequestEx over a template with the subject."""
        key_id = self._key_pair(client, state)
        template = x509.CertificateSigningRequestBuilder().subject_name(self._subject())
        # The device replaces the signature; the template is signed with a throw-away key only to be well-formed DER.
        throwaway = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        template_der = template.sign(throwaway, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        outputs = client.invoke(SERVICE, "GeneratePKCS10RequestEx", [
            ("KeyPair", epr(schema.AMT_PUBLIC_PRIVATE_KEY_PAIR, {"InstanceID": key_id})),
            ("SigningAlgorithm", SHA256_RSA),
            ("NullSignedCertificateRequest", base64.b64encode(template_der).decode("ascii"))])
        request = x509.load_der_x509_csr(_b64("GeneratePKCS10RequestEx.SignedCertificateRequest", outputs.get("SignedCertificateRequest")))
        if not request.is_signature_valid:
            raise DeviceError("the device's certificate request is not signed by its key", class_name=SERVICE, method="GeneratePKCS10RequestEx")
        return request.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def _subject(self):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.want["server_certificate"]["common_name"])])

    def _sign(self, request_pem):
        issuer, issuer_key = self.want["issuer"]
        request = x509.load_pem_x509_csr(request_pem.encode("ascii"))
        wanted = self.want["server_certificate"]
        now = _now()
        builder = (x509.CertificateBuilder().subject_name(self._subject()).issuer_name(issuer.subject)
                   .public_key(request.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=wanted.get("validity_days", 365)))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if wanted["subject_alt_names"]:
            builder = builder.add_extension(x509.SubjectAlternativeName(_san_entries(wanted["subject_alt_names"])), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def reusable_certificate(self, state):
        """A certificate already on the device, with its key, that serves the task (one a cut-off run added but never put
        in use): its InstanceID, or None."""
        given, issuer = self.want["certificate"], self.want["issuer"]
        for instance_id, entry in sorted(state["certificates"].items()):
            if entry["root"] or entry["key"] is None or instance_id == state["context"]:
                continue
            if given is not None and entry["der"] == _der(given):
                return instance_id
            if given is None and issuer is not None and entry["certificate"].issuer == issuer[0].subject and \
                    self._names_and_expiry_problem(entry["certificate"]) is None:
                return instance_id
        return None

    def leftovers(self, state):
        """InstanceIDs of server certificates earlier runs left behind (a run cut off between CommitChanges and its clean-up):
        certificates that are not trusted roots, not the one in use, made for server authentication only (an 802.1X or
        CIRA client certificate carries clientAuth) and issued for the task's common name."""
        found = []
        for instance_id, entry in sorted(state["certificates"].items()):
            if entry["root"] or instance_id == state["context"]:
                continue
            try:
                usages = entry["certificate"].extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except x509.ExtensionNotFound:
                continue
            if ExtendedKeyUsageOID.SERVER_AUTH not in usages or ExtendedKeyUsageOID.CLIENT_AUTH in usages:
                continue
            if _names_of(entry["certificate"])[0] == self.want["server_certificate"]["common_name"]:
                found.append(instance_id)
        return found

    @staticmethod
    def removals(state, certificates):
        """[(class, InstanceID)] that remove the given certificates, then each one's key pair unless a certificate that
        stays uses it. Never the certificate in use nor a trusted root."""
        doomed = [handle for handle in dict.fromkeys(certificates) if handle in state["certificates"] and handle != state["context"]
                  and not state["certificates"][handle]["root"]]
        kept_keys = set(entry["key"] for handle, entry in state["certificates"].items() if handle not in doomed)
        keys = []
        for handle in doomed:
            key = state["certificates"][handle]["key"]
            if key is not None and key not in kept_keys and key not in keys:
                keys.append(key)
        return [(schema.AMT_PUBLIC_KEY_CERTIFICATE, handle) for handle in doomed] + [(schema.AMT_PUBLIC_PRIVATE_KEY_PAIR, key) for key in keys]

    def _install_certificate(self, client, state):
        reused = self.reusable_certificate(state)
        if reused is not None:
            self.new_certificate, self.new_der = reused, state["certificates"][reused]["der"]
        else:
            self._add_certificate(client, state)
        context = {
            "ElementInContext": epr(schema.AMT_PUBLIC_KEY_CERTIFICATE, {"InstanceID": self.new_certificate}),
            "ElementProvidingContext": epr(schema.AMT_TLS_PROTOCOL_ENDPOINT_COLLECTION, {"ElementName": ENDPOINT_COLLECTION_NAME}),
        }
        if state["context"] is None:
            client.create(schema.AMT_TLS_CREDENTIAL_CONTEXT, context)
        else:
            client.put(schema.AMT_TLS_CREDENTIAL_CONTEXT, context)

    def _add_certificate(self, client, state):
        if self.want["certificate"] is not None:
            certificate = self.want["certificate"]
            public = _public_key_der_any(certificate.public_key())
            if self.want["private_key"] is not None and public not in state["keys"].values():
                client.invoke(SERVICE, "AddKey", [("KeyBlob", self.want["private_key"])])
        else:
            certificate = self._sign(self.request(client, state))
        self.new_der = _der(certificate)
        outputs = client.invoke(SERVICE, "AddCertificate", [("CertificateBlob", base64.b64encode(self.new_der).decode("ascii"))])
        self.new_certificate = str(outputs["CreatedCertificate"]["selectors"]["InstanceID"])

    def send(self, client, state, change):
        action = change["action"]
        if action == "add_root":
            client.invoke(SERVICE, "AddTrustedRootCertificate", [
                ("CertificateBlob", base64.b64encode(_der(change["certificate"])).decode("ascii"))])
        elif action == "certificate":
            self._install_certificate(client, state)
        elif action == "settings":
            instance = dict(state[change["interface"]])
            instance.pop("NonSecureConnectionsSupported", None)
            if change["interface"] == "local":
                instance.pop("MutualAuthentication", None)
            instance.update(change["properties"])
            client.put(schema.AMT_TLS_SETTING_DATA, instance, selectors={"InstanceID": instance["InstanceID"]})

    def landed(self, client, change):
        state = self.read(client)
        action = change["action"]
        if action == "add_root":
            return any(entry["der"] == _der(change["certificate"]) and entry["root"] for entry in state["certificates"].values())
        if action == "certificate":
            return self.new_certificate is not None and state["context"] == self.new_certificate
        return not self._differs(state[change["interface"]], change["properties"])


def _private_key_blob(text, certificate):
    """AddKey's KeyBlob for a PEM private key: base64 of its PKCS#1 DER; the key must be the certificate's."""
    try:
        key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        refuse("private_key", "must be an unencrypted PEM private key")
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size not in KEY_LENGTHS:
        refuse("private_key", "must be an RSA key of %s bits" % " or ".join(str(length) for length in KEY_LENGTHS))
    if _public_key_der_any(key.public_key()) != _public_key_der_any(certificate.public_key()):
        refuse("private_key", "must be the key of certificate")
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return base64.b64encode(der).decode("ascii")


def _b64(origin, value):
    try:
        data = base64.b64decode(str(value or ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        raise DeviceError("the device sent %s that is not base64 DER" % origin, class_name=origin.split(".")[0])
    return data


def _public_key_der_any(public_key):
    try:
        return _public_key_der(public_key)
    except (ValueError, TypeError):
        return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _rsa_bits(pkcs1_der):
    try:
        return serialization.load_der_public_key(pkcs1_der).key_size
    except ValueError:
        return None
