# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wireless profiles AMT uses out-of-band, and the Wi-Fi port settings around them (docs/amt-reference.md 5).

validate(want) checks the desired state against AMT's rules before anything is sent; read(client) reads the device;
plan(state, want) lists the changes; apply(client, state, changes, done) makes them, reading each one back;
diff(state, changes) gives before/after for --diff. Passphrases and 802.1X passwords are write-only on the device:
they never appear in a result, and an existing profile's secret is rewritten only with update_password=always.
"""

from __future__ import annotations

import base64
import re
import ssl

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import embedded, epr, optional
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_MASK, SECRET_WRITTEN_MASK, Unit, refuse
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError

# The security and encryption a profile may use: the device's names (schema) minus open networks, WEP and OWE.
SECURITY = dict((name, value) for value, name in schema.WIFI_AUTHENTICATION_METHOD.items()
                if name in ("wpa2_psk", "wpa2_8021x", "wpa3_sae", "wpa_psk", "wpa_8021x"))
SECURITY_NAMES = dict((value, name) for name, value in SECURITY.items())
PSK_SECURITY = frozenset(["wpa2_psk", "wpa3_sae", "wpa_psk"])
REFUSED_SECURITY = frozenset(["open", "open_system", "shared_key", "wep"])
ENCRYPTION = dict((name, value) for value, name in schema.WIFI_ENCRYPTION_METHOD.items() if name in ("ccmp", "tkip"))
EAP_METHODS = {
    "eap_tls": 0, "eap_ttls_mschapv2": 1, "peapv0_eap_mschapv2": 2, "peapv1_eap_gtc": 3, "eap_fast_mschapv2": 4,
    "eap_fast_gtc": 5, "eap_md5": 6, "eap_psk": 7, "eap_sim": 8, "eap_aka": 9, "eap_fast_tls": 10,
}
EAP_METHOD_NAMES = dict((value, name) for name, value in EAP_METHODS.items())
# EAP methods that authenticate with the client certificate instead of a password (docs/amt-reference.md 5.1).
CERTIFICATE_EAP_METHODS = frozenset(["eap_tls", "eap_fast_tls"])
SERVER_NAME_COMPARISON = {"full_name": 2, "domain_suffix": 3}
SERVER_NAME_COMPARISON_NAMES = dict((value, name) for name, value in SERVER_NAME_COMPARISON.items())
LOCAL_PROFILE_SYNC = {"off": 0, "user": 1, "unrestricted": 3}
LOCAL_PROFILE_SYNC_NAMES = dict((value, name) for name, value in LOCAL_PROFILE_SYNC.items())
WIFI_PORT = {"disabled": 3, "enabled_in_s0": 32768, "enabled_in_s0_sx": 32769}
WIFI_PORT_NAMES = dict((value, name) for name, value in WIFI_PORT.items())

MAX_PROFILES = 16
PEM_CERTIFICATE_BEGIN = "-----BEGIN CERTIFICATE-----"
SETTINGS_ID_PREFIX = "Intel(r) AMT:WiFi Endpoint Settings "
IEEE8021X_ID_PREFIX = "Intel(r) AMT:IEEE 802.1x Settings "
CERTIFICATE_ID_PREFIX = "Intel(r) AMT Certificate: Handle: "
BSS_TYPE_INFRASTRUCTURE = 3
# The character rule consoles known to work with the firmware enforce; the firmware's own is unpublished (docs/amt-reference.md 5.2).
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9]{1,32}$")
_HEX_PSK = re.compile(r"^[0-9A-Fa-f]{64}$")
MAX_PRIORITY = 255

# Advice for the ReturnValues AddWiFiSettings / UpdateWiFiSettings answer with (docs/amt-reference.md 5.1, 8.2).
_PROFILE_WRITE_ADVICE = {
    1: "the firmware does not support this kind of profile",
    3: "the firmware refused the profile's settings: check the security, encryption and passphrase against what the device supports",
    4: "a certificate reference is not usable: the client certificate needs its private key on the device, the CA must be a trusted root",
    23: "the profile table is full: remove profiles (state: absent or purge: true) first",
    2058: "a profile with this name already exists on the device",
}


def _validate_passphrase(option, passphrase):
    if _HEX_PSK.match(passphrase):
        return
    if not 8 <= len(passphrase) <= 63:
        refuse(option, "a WPA passphrase must be 8 to 63 printable ASCII characters, or exactly 64 hexadecimal digits (got %d characters)"
               % len(passphrase))
    if any(not 32 <= ord(char) <= 126 for char in passphrase):
        refuse(option, "a WPA passphrase may contain only printable ASCII characters (space to ~)")


def _validate_certificate(option, value):
    if value is None:
        return
    text = value.strip()
    if text.isdigit():
        return
    if not text.startswith(PEM_CERTIFICATE_BEGIN):
        refuse(option, "give a certificate handle on the device (a number) or one PEM certificate")
    if text.count(PEM_CERTIFICATE_BEGIN) > 1:
        refuse(option, "give one PEM certificate, not a bundle: each certificate is its own handle on the device")
    try:
        certificate_der(text)
    except ValueError:
        refuse(option, "the PEM certificate could not be decoded")


def _validate_ieee8021x(prefix, security, settings):
    option = prefix + "ieee8021x"
    if security not in ("wpa2_8021x", "wpa_8021x"):
        if settings:
            refuse(option, "802.1X settings apply only to security wpa2_8021x or wpa_8021x (got %s)" % security)
        return
    if not settings:
        refuse(option, "security %s needs 802.1X settings (eap_method and its credentials)" % security)
    method = settings.get("eap_method")
    if method not in EAP_METHODS:
        refuse(option + ".eap_method", "must be one of %s" % ", ".join(sorted(EAP_METHODS)))
    if method in CERTIFICATE_EAP_METHODS:
        if not settings.get("client_certificate"):
            refuse(option + ".client_certificate", "%s authenticates with a client certificate, which AMT requires" % method)
    elif not settings.get("password"):
        refuse(option + ".password", "%s authenticates with a password, which AMT needs whenever the profile is written" % method)
    comparison = settings.get("server_certificate_name_comparison")
    if comparison is not None and comparison not in SERVER_NAME_COMPARISON:
        refuse(option + ".server_certificate_name_comparison", "must be one of %s" % ", ".join(sorted(SERVER_NAME_COMPARISON)))
    if comparison is not None and not settings.get("server_certificate_name"):
        refuse(option + ".server_certificate_name_comparison", "needs server_certificate_name")
    _validate_certificate(option + ".client_certificate", settings.get("client_certificate"))
    _validate_certificate(option + ".ca_certificate", settings.get("ca_certificate"))


def validate_profile(prefix, profile):
    """Raise InvalidInputError naming the option of profile (prefix e.g. 'profiles[1].') that breaks AMT's rules."""
    name = profile.get("name")
    if not name or not _PROFILE_NAME.match(name):
        refuse(prefix + "name", "a profile name must be 1 to 32 letters or digits")
    if profile.get("state", "present") == "absent":
        return
    ssid = profile.get("ssid")
    if not ssid:
        refuse(prefix + "ssid", "is required when state is present")
    if len(ssid.encode("utf-8")) > 32 or any(ord(char) < 32 for char in ssid):
        refuse(prefix + "ssid", "an SSID is at most 32 bytes (UTF-8) without control characters")
    priority = profile.get("priority")
    if priority is None:
        refuse(prefix + "priority", "is required when state is present")
    if not 0 <= priority <= MAX_PRIORITY:
        refuse(prefix + "priority", "must be between 0 and %d (got %d)" % (MAX_PRIORITY, priority))
    security = profile.get("security")
    if security in REFUSED_SECURITY:
        refuse(prefix + "security", "open and shared-key (WEP) networks are refused: anyone can join or impersonate them;"
                                    " use wpa2_psk, wpa3_sae or wpa2_8021x")
    if security not in SECURITY:
        refuse(prefix + "security", "must be one of %s (got %s)" % (", ".join(sorted(SECURITY)), security))
    encryption = profile.get("encryption") or "ccmp"
    if encryption not in ENCRYPTION:
        refuse(prefix + "encryption", "must be ccmp or tkip: AMT refuses WEP and unencrypted profiles (got %s)" % encryption)
    if security == "wpa3_sae" and encryption != "ccmp":
        refuse(prefix + "encryption", "WPA3-SAE requires ccmp")
    passphrase = profile.get("passphrase")
    if security in PSK_SECURITY:
        if not passphrase:
            refuse(prefix + "passphrase", "security %s needs a passphrase, which AMT needs whenever the profile is written" % security)
        _validate_passphrase(prefix + "passphrase", passphrase)
    elif passphrase:
        refuse(prefix + "passphrase", "applies only to PSK security (wpa2_psk, wpa3_sae, wpa_psk)")
    _validate_ieee8021x(prefix, security, profile.get("ieee8021x"))


def validate(want):
    """Check every desired profile and setting; raise InvalidInputError for the first broken rule."""
    names = set()
    for index, profile in enumerate(want["profiles"]):
        prefix = "profiles[%d]." % index if want["profiles_option"] else ""
        validate_profile(prefix, profile)
        if profile["name"] in names:
            refuse(prefix + "name", "profile %s is listed twice" % profile["name"])
        names.add(profile["name"])
    if want.get("local_profile_sync") not in (None,) + tuple(LOCAL_PROFILE_SYNC):
        refuse("local_profile_sync", "must be one of %s" % ", ".join(sorted(LOCAL_PROFILE_SYNC)))
    if want.get("wifi_port") not in (None,) + tuple(WIFI_PORT):
        refuse("wifi_port", "must be one of %s" % ", ".join(sorted(WIFI_PORT)))


def certificate_der(pem):
    """DER bytes of one PEM certificate; ValueError when it is not one."""
    try:
        der = ssl.PEM_cert_to_DER_cert(pem.strip())
    except (ValueError, TypeError) as error:
        raise ValueError("not a PEM certificate") from error
    if not _is_one_der_sequence(der):
        raise ValueError("not a DER certificate")
    return der


def _is_one_der_sequence(der):
    """Whether der is exactly one ASN.1 SEQUENCE, as a certificate is: PEM_cert_to_DER_cert decodes base64 noise and whole
    bundles into bytes the device would refuse only when the profile is written, after earlier changes were made."""
    if len(der) < 2 or der[0] != 0x30:
        return False
    length, offset = der[1], 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or len(der) < offset + count:
            return False
        length, offset = int.from_bytes(der[offset:offset + count], "big"), offset + count
    return offset + length == len(der)


# --- reading -----------------------------------------------------------------------------------------------------


def _profile_from_device(settings, ieee8021x_by_name):
    name = settings.get("ElementName") or settings.get("InstanceID", "")[len(SETTINGS_ID_PREFIX):]
    auth = schema.as_int(settings.get("AuthenticationMethod"))
    enc = schema.as_int(settings.get("EncryptionMethod"))
    profile = {
        "name": name,
        "instance_id": settings.get("InstanceID"),
        "ssid": settings.get("SSID"),
        "priority": schema.as_int(settings.get("Priority")),
        "security": schema.WIFI_AUTHENTICATION_METHOD.get(auth, "unknown_%s" % auth),
        "encryption": schema.WIFI_ENCRYPTION_METHOD.get(enc, "unknown_%s" % enc),
        "ieee8021x": None,
    }
    ieee = ieee8021x_by_name.get(name)
    if ieee is not None:
        protocol = schema.as_int(ieee.get("AuthenticationProtocol"))
        comparison = schema.as_int(ieee.get("ServerCertificateNameComparison"))
        profile["ieee8021x"] = {
            "eap_method": EAP_METHOD_NAMES.get(protocol, "unknown_%s" % protocol),
            "identity": ieee.get("Username") or None,
            "roaming_identity": ieee.get("RoamingIdentity") or None,
            "domain": ieee.get("Domain") or None,
            "server_certificate_name": ieee.get("ServerCertificateName") or None,
            "server_certificate_name_comparison": SERVER_NAME_COMPARISON_NAMES.get(comparison),
        }
    return profile


def _ieee8021x_owner(settings):
    instance_id = settings.get("InstanceID") or ""
    if instance_id.startswith(IEEE8021X_ID_PREFIX):
        return instance_id[len(IEEE8021X_ID_PREFIX):]
    return settings.get("ElementName")


def read_profiles(client):
    settings = client.enumerate(schema.CIM_WIFI_ENDPOINT_SETTINGS)
    ieee8021x = {}
    if any(schema.as_int(item.get("AuthenticationMethod")) in (SECURITY["wpa2_8021x"], SECURITY["wpa_8021x"]) for item in settings):
        ieee8021x = dict((_ieee8021x_owner(item), item) for item in client.enumerate(schema.CIM_IEEE8021X_SETTINGS))
    return dict((profile["name"], profile) for profile in (_profile_from_device(item, ieee8021x) for item in settings))


def read(client, want):
    """The device's profiles, and the port settings the play asks about (nothing else is read).

    want None reads everything there is, for amt_info; a device without Wi-Fi then reports no profiles and no settings.
    """
    if want is None:
        service = optional(lambda: client.get(schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE))
        if service is None:
            return {"profiles": {}, "service": None, "port": None}
        ports = client.enumerate(schema.CIM_WIFI_PORT)
        return {"profiles": read_profiles(client), "service": service, "port": ports[0] if ports else None}
    state = {"profiles": read_profiles(client), "service": None, "port": None}
    if want.get("local_profile_sync") is not None or want.get("uefi_profile_share") is not None:
        state["service"] = client.get(schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE)
    if want.get("wifi_port") is not None:
        ports = client.enumerate(schema.CIM_WIFI_PORT)
        if not ports:
            raise DeviceError("the device reports no CIM_WiFiPort: it has no wireless interface AMT can use", class_name=schema.CIM_WIFI_PORT)
        state["port"] = ports[0]
    return state


# --- planning ----------------------------------------------------------------------------------------------------


def _desired_view(profile):
    """The readable fields of a desired profile, shaped like _profile_from_device."""
    view = {
        "name": profile["name"],
        "ssid": profile["ssid"],
        "priority": profile["priority"],
        "security": profile["security"],
        "encryption": profile.get("encryption") or "ccmp",
        "ieee8021x": None,
    }
    settings = profile.get("ieee8021x")
    if settings:
        view["ieee8021x"] = {
            "eap_method": settings["eap_method"],
            "identity": settings.get("identity") or None,
            "roaming_identity": settings.get("roaming_identity") or None,
            "domain": settings.get("domain") or None,
            "server_certificate_name": settings.get("server_certificate_name") or None,
            "server_certificate_name_comparison": settings.get("server_certificate_name_comparison"),
        }
    return view


def _readable(profile):
    return dict((key, value) for key, value in profile.items() if key != "instance_id")


def plan(state, want):
    """The changes that bring the device to want, in the order they must be made: deletions free table slots first."""
    changes = []
    current = state["profiles"]
    listed = set(profile["name"] for profile in want["profiles"])
    for profile in want["profiles"]:
        existing = current.get(profile["name"])
        if profile.get("state", "present") == "absent":
            if existing is not None:
                changes.append({"action": "delete", "name": profile["name"], "instance_id": existing["instance_id"]})
            continue
        view = _desired_view(profile)
        if _masked_secret(profile) and (existing is None or want["update_password"] == "always"):
            raise InvalidInputError("profile %s: its passphrase or 802.1X password is the mask %s that results show in place of secrets;"
                                    " give the real secret to write it" % (profile["name"], SECRET_MASK))
        if existing is None:
            changes.append({"action": "add", "name": profile["name"], "profile": profile, "view": view})
        elif _readable(existing) != view or want["update_password"] == "always":
            changes.append({"action": "update", "name": profile["name"], "profile": profile, "view": view,
                            "instance_id": existing["instance_id"]})
    if want["purge"]:
        for name in sorted(set(current) - listed):
            changes.append({"action": "delete", "name": name, "instance_id": current[name]["instance_id"]})
    changes.sort(key=lambda change: 0 if change["action"] == "delete" else 1)
    _check_table_room(current, changes)
    changes.extend(_service_changes(state, want))
    port = state["port"]
    if port is not None and schema.as_int(port.get("EnabledState")) != WIFI_PORT[want["wifi_port"]]:
        changes.append({"action": "wifi_port", "name": want["wifi_port"]})
    return changes


def _masked_secret(profile):
    secrets = [profile.get("passphrase"), (profile.get("ieee8021x") or {}).get("password")]
    return any(secret in (SECRET_MASK, SECRET_WRITTEN_MASK) for secret in secrets)


def _check_table_room(current, changes):
    deleted = sum(1 for change in changes if change["action"] == "delete")
    added = sum(1 for change in changes if change["action"] == "add")
    if added and len(current) - deleted + added > MAX_PROFILES:
        raise InvalidInputError(
            "AMT holds at most %d wireless profiles: the device has %d, this task removes %d and adds %d;"
            " remove profiles first (state: absent, or purge: true)" % (MAX_PROFILES, len(current), deleted, added))


def _service_changes(state, want):
    service = state["service"]
    if service is None:
        return []
    wanted = {}
    sync = want.get("local_profile_sync")
    if sync is not None and schema.as_int(service.get("localProfileSynchronizationEnabled")) != LOCAL_PROFILE_SYNC[sync]:
        wanted["localProfileSynchronizationEnabled"] = LOCAL_PROFILE_SYNC[sync]
    share = want.get("uefi_profile_share")
    if share is not None:
        if "UEFIWiFiProfileShareEnabled" not in service:
            raise InvalidInputError("uefi_profile_share: this firmware has no UEFI Wi-Fi profile sharing (it needs CSME 16 or later)")
        if schema.as_bool(service.get("UEFIWiFiProfileShareEnabled")) != share:
            wanted["UEFIWiFiProfileShareEnabled"] = share
    return [{"action": "service", "name": "port configuration", "properties": wanted}] if wanted else []


# --- diff ------------------------------------------------------------------------------------------------------


def _diff_profile(profile, secret):
    shown = _readable(profile)
    if profile["security"] in PSK_SECURITY:
        shown["passphrase"] = secret
    if shown.get("ieee8021x") and profile["ieee8021x"]["eap_method"] not in CERTIFICATE_EAP_METHODS:
        shown["ieee8021x"] = dict(shown["ieee8021x"], password=secret)
    return shown


def _service_view(service):
    view = {}
    if service is not None:
        view["local_profile_sync"] = LOCAL_PROFILE_SYNC_NAMES.get(schema.as_int(service.get("localProfileSynchronizationEnabled")))
        if "UEFIWiFiProfileShareEnabled" in service:
            view["uefi_profile_share"] = schema.as_bool(service.get("UEFIWiFiProfileShareEnabled"))
    return view


def describe(state):
    """The device's wireless state without secrets, as returned to the play."""
    result = {"profiles": [_diff_profile(profile, SECRET_MASK) for profile in _by_priority(state["profiles"].values())]}
    result.update(_service_view(state["service"]))
    if state["port"] is not None:
        result["wifi_port"] = WIFI_PORT_NAMES.get(schema.as_int(state["port"].get("EnabledState")), "unknown")
    return result


def _by_priority(profiles):
    return sorted(profiles, key=lambda profile: (profile["priority"] if profile["priority"] is not None else -1, profile["name"]))


def diff(state, changes):
    """before/after for --diff; secrets appear only as masks, and a secret this run writes as SECRET_WRITTEN_MASK."""
    before = describe(state)
    profiles = dict((name, _diff_profile(profile, SECRET_MASK)) for name, profile in state["profiles"].items())
    after = dict(before)
    for change in changes:
        if change["action"] == "delete":
            profiles.pop(change["name"], None)
        elif change["action"] in ("add", "update"):
            profiles[change["name"]] = _diff_profile(change["view"], SECRET_WRITTEN_MASK)
        elif change["action"] == "service":
            service = dict(state["service"], **change["properties"])
            after.update(_service_view(service))
        elif change["action"] == "wifi_port":
            after["wifi_port"] = change["name"]
    after["profiles"] = _by_priority(profiles.values())
    return {"before": before, "after": after}


# --- applying ----------------------------------------------------------------------------------------------------


def _raise_for_return(outputs, method, name):
    code = outputs["ReturnValue"]
    return_name = schema.return_code_name(schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE, method, code)
    advice = _PROFILE_WRITE_ADVICE.get(code, "the device did not accept the profile")
    error_class = NotPermittedError if code == schema.PT_STATUS_NOT_PERMITTED else DeviceError
    message = "%s.%s returned %d (%s) for profile %s: %s" % (schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE, method, code, return_name, name, advice)
    raise error_class(message, class_name=schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE, method=method, return_value=code, return_name=return_name)


def _certificate_epr(instance_id):
    return epr(schema.AMT_PUBLIC_KEY_CERTIFICATE, {"InstanceID": instance_id})


def _certificate_reference(client, value, trusted_root):
    """InstanceID of the certificate given by handle or PEM; a PEM the device lacks is added first."""
    text = value.strip()
    if text.isdigit():
        return CERTIFICATE_ID_PREFIX + text
    der = certificate_der(text)
    for certificate in client.enumerate(schema.AMT_PUBLIC_KEY_CERTIFICATE):
        stored = certificate.get("X509Certificate") or ""
        if base64.b64decode(stored) == der:
            return certificate["InstanceID"]
    method = "AddTrustedRootCertificate" if trusted_root else "AddCertificate"
    outputs = client.invoke(schema.AMT_PUBLIC_KEY_MANAGEMENT_SERVICE, method, [("CertificateBlob", base64.b64encode(der).decode("ascii"))])
    return outputs["CreatedCertificate"]["selectors"]["InstanceID"]


def _ieee8021x_input(settings, name):
    properties = [
        ("AuthenticationProtocol", EAP_METHODS[settings["eap_method"]]),
        ("Domain", settings.get("domain")),
        ("ElementName", name),
        ("InstanceID", IEEE8021X_ID_PREFIX + name),
        ("Password", settings.get("password")),
        ("RoamingIdentity", settings.get("roaming_identity")),
        ("ServerCertificateName", settings.get("server_certificate_name")),
        ("ServerCertificateNameComparison", SERVER_NAME_COMPARISON.get(settings.get("server_certificate_name_comparison"))),
        ("Username", settings.get("identity")),
    ]
    return embedded(schema.CIM_IEEE8021X_SETTINGS, properties)


def _profile_inputs(client, profile):
    name = profile["name"]
    passphrase = profile.get("passphrase")
    hex_key = passphrase is not None and _HEX_PSK.match(passphrase) is not None
    settings = [
        ("AuthenticationMethod", SECURITY[profile["security"]]),
        ("BSSType", BSS_TYPE_INFRASTRUCTURE),
        ("ElementName", name),
        ("EncryptionMethod", ENCRYPTION[profile.get("encryption") or "ccmp"]),
        ("InstanceID", SETTINGS_ID_PREFIX + name),
        ("Priority", profile["priority"]),
        ("PSKPassPhrase", None if hex_key else passphrase),
        ("PSKValue", passphrase if hex_key else None),
        ("SSID", profile["ssid"]),
    ]
    inputs = [("WiFiEndpointSettingsInput", embedded(schema.CIM_WIFI_ENDPOINT_SETTINGS, settings))]
    ieee = profile.get("ieee8021x")
    if ieee:
        inputs.append(("IEEE8021xSettingsInput", _ieee8021x_input(ieee, name)))
        if ieee.get("client_certificate"):
            inputs.append(("ClientCredential", _certificate_epr(_certificate_reference(client, ieee["client_certificate"], False))))
        if ieee.get("ca_certificate"):
            inputs.append(("CACredential", _certificate_epr(_certificate_reference(client, ieee["ca_certificate"], True))))
    return inputs


def check_capabilities(client, changes):
    """Refuse a profile whose security or encryption the firmware does not advertise, before anything is written."""
    writes = [change for change in changes if change["action"] in ("add", "update")]
    if not writes:
        return
    try:
        capabilities = client.enumerate(schema.CIM_WIFI_ENDPOINT_CAPABILITIES)
    except DeviceError as error:
        if error.fault == "DestinationUnreachable":
            return  # firmware without the class: the profile write itself is the check
        raise
    if not capabilities:
        return
    authentication = set(schema.as_int(value) for value in schema.as_list(capabilities[0].get("SupportedAuthenticationMethods")))
    encryption = set(schema.as_int(value) for value in schema.as_list(capabilities[0].get("SupportedEncryptionMethods")))
    for change in writes:
        view = change["view"]
        if authentication and SECURITY[view["security"]] not in authentication:
            raise InvalidInputError("profile %s: this firmware does not support security %s (it supports %s)" % (
                change["name"], view["security"], ", ".join(sorted(SECURITY_NAMES[code] for code in authentication if code in SECURITY_NAMES))))
        if encryption and ENCRYPTION[view["encryption"]] not in encryption:
            raise InvalidInputError("profile %s: this firmware does not support encryption %s" % (change["name"], view["encryption"]))


def _wifi_endpoint(client):
    endpoints = client.enumerate(schema.CIM_WIFI_ENDPOINT)
    if not endpoints:
        raise DeviceError("the device reports no CIM_WiFiEndpoint: it has no wireless interface AMT can use", class_name=schema.CIM_WIFI_ENDPOINT)
    return epr(schema.CIM_WIFI_ENDPOINT, {"Name": endpoints[0]["Name"]})


def _written(client, change):
    """Whether the device now holds the profile change (re-read: the write's cache entry was dropped)."""
    profiles = read_profiles(client)
    if change["action"] == "delete":
        return change["name"] not in profiles
    existing = profiles.get(change["name"])
    return existing is not None and _readable(existing) == change["view"]


def _invoke_profile_write(client, method, inputs, name):
    outputs = client.invoke(schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE, method, inputs, check=False)
    if outputs["ReturnValue"] != 0:
        _raise_for_return(outputs, method, name)


def _send_profile(client, change):
    name = change["name"]
    if change["action"] == "delete":
        client.delete(schema.CIM_WIFI_ENDPOINT_SETTINGS, {"InstanceID": change["instance_id"]})
        return
    inputs = _profile_inputs(client, change["profile"])
    if change["action"] == "add":
        inputs.insert(0, ("WiFiEndpoint", _wifi_endpoint(client)))
        method = "AddWiFiSettings"
    else:
        inputs.insert(0, ("WiFiEndpointSettings", epr(schema.CIM_WIFI_ENDPOINT_SETTINGS, {"InstanceID": change["instance_id"]})))
        method = "UpdateWiFiSettings"
    _invoke_profile_write(client, method, inputs, name)


def _port_selectors(port):
    return dict((key, port.get(key)) for key in ("CreationClassName", "DeviceID", "SystemCreationClassName", "SystemName"))


def send(client, state, change):
    if change["action"] in ("add", "update", "delete"):
        _send_profile(client, change)
    elif change["action"] == "service":
        client.put(schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE, dict(state["service"], **change["properties"]))
    else:
        client.invoke(schema.CIM_WIFI_PORT, "RequestStateChange", [("RequestedState", WIFI_PORT[change["name"]])],
                      selectors=_port_selectors(state["port"]))


def landed(client, change):
    if change["action"] in ("add", "update", "delete"):
        return _written(client, change)
    if change["action"] == "service":
        stored = client.get(schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE)
        return all(str(stored.get(name)).lower() == str(value).lower() for name, value in change["properties"].items())
    ports = client.enumerate(schema.CIM_WIFI_PORT)
    return bool(ports) and schema.as_int(ports[0].get("EnabledState")) == WIFI_PORT[change["name"]]


def summary(change):
    if change["action"] == "service":
        return "set %s" % ", ".join("%s=%s" % item for item in sorted(change["properties"].items()))
    if change["action"] == "wifi_port":
        return "set Wi-Fi port %s" % change["name"]
    return "%s profile %s" % (change["action"], change["name"])


PROFILE_KEYS = ("name", "ssid", "priority", "security", "encryption", "passphrase", "ieee8021x", "state")
_SETTINGS_OPTIONS = ("local_profile_sync", "uefi_profile_share", "wifi_port")


def desired_state(options):
    """The task's wireless state: profiles from O(profiles) or the single-profile options, and the port settings."""
    if options.get("profiles") is not None:
        profiles = options["profiles"]
    elif options.get("name") is not None:
        profiles = [dict((key, options.get(key)) for key in PROFILE_KEYS)]
    else:
        profiles = []
    want = {
        "profiles": profiles,
        "profiles_option": options.get("profiles") is not None,
        "purge": bool(options.get("purge")),
        "update_password": options.get("update_password") or "on_create",
    }
    want.update((key, options.get(key)) for key in _SETTINGS_OPTIONS)
    if not profiles and not want["purge"] and all(want[key] is None for key in _SETTINGS_OPTIONS):
        raise InvalidInputError("nothing to manage: give name, profiles, purge, local_profile_sync, uefi_profile_share or wifi_port")
    validate(want)
    return want


class WifiProfiles(Unit):
    """Wireless profiles and the Wi-Fi port settings (module amt_wifi_profile). Built with options=None it only reads,
    everything the device has, as amt_info reports it."""

    name = "wifi"

    def __init__(self, options=None):
        self.want = None if options is None else desired_state(options)

    def read(self, client):
        return read(client, self.want)

    def describe(self, state):
        return describe(state)

    def plan(self, state):
        return plan(state, self.want)

    def diff(self, state, changes):
        return diff(state, changes)

    def preflight(self, client, state, changes):
        check_capabilities(client, changes)

    def summary(self, change):
        return summary(change)

    def send(self, client, state, change):
        send(client, state, change)

    def landed(self, client, change):
        return landed(client, change)
