"""Wireless: AMT_WiFiPortConfigurationService, CIM_WiFiEndpointSettings, CIM_IEEE8021xSettings, CIM_WiFiPort,
CIM_WiFiEndpoint and CIM_WiFiEndpointCapabilities (docs/amt-reference.md 5)."""
from __future__ import annotations

import hashlib
import re

from amtsim.model import access
from amtsim.model import audit_records as events
from amtsim.model.codes import (CIM_COMPLETED, CIM_INVALID_PARAMETER, DUPLICATE, MAX_LIMIT_REACHED, WIFI_COMPLETED,
                                WIFI_INVALID_PARAMETER, WIFI_INVALID_REFERENCE)
from amtsim.model.component import (Component, epr_input, instance_input, int_input, prop_bool, prop_int, prop_text,
                                    result)
from amtsim.types import EPR, Instance, WsmanFault

SETTINGS_PREFIX = "Intel(r) AMT:WiFi Endpoint Settings "
IEEE8021X_PREFIX = "Intel(r) AMT:IEEE 802.1x Settings "
CERT_PREFIX = "Intel(r) AMT Certificate: Handle: "
MAX_PROFILES = 16
MAX_USER_PROFILES = 8
# Profile names: RPS allows [A-Za-z0-9]{1,32}; the firmware's own rule is UNCONFIRMED, we also accept "._-".
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,32}$")

OPEN_SYSTEM, SHARED_KEY, WPA_PSK, WPA_8021X, WPA2_PSK, WPA2_8021X, WPA3_SAE, WPA3_OWE = 2, 3, 4, 5, 6, 7, 32768, 32769
WEP, TKIP, CCMP, NO_ENCRYPTION = 2, 3, 4, 5
PSK_METHODS = (WPA_PSK, WPA2_PSK, WPA3_SAE)
IEEE8021X_METHODS = (WPA_8021X, WPA2_8021X, WPA3_OWE)
EAP_TLS, EAP_FAST_TLS = 0, 10
PORT_STATES = (3, 32768, 32769)


class Wireless(Component):
    INSTANCES = {
        "AMT_WiFiPortConfigurationService": "_service_instances",
        "CIM_WiFiEndpointSettings": "_settings_instances",
        "CIM_IEEE8021xSettings": "_ieee8021x_instances",
        "CIM_WiFiEndpointCapabilities": "_capabilities_instances",
        "CIM_WiFiPort": "_port_instances",
        "CIM_WiFiEndpoint": "_endpoint_instances",
    }
    PUTS = {"AMT_WiFiPortConfigurationService": "_put_service"}
    DELETES = {"CIM_WiFiEndpointSettings": "_delete_profile"}
    METHODS = {
        ("AMT_WiFiPortConfigurationService", "AddWiFiSettings"): "_add_wifi_settings",
        ("AMT_WiFiPortConfigurationService", "UpdateWiFiSettings"): "_update_wifi_settings",
        ("AMT_WiFiPortConfigurationService", "DeleteAllITProfiles"): "_delete_all_it_profiles",
        ("AMT_WiFiPortConfigurationService", "DeleteAllUserProfiles"): "_delete_all_user_profiles",
        ("CIM_WiFiPort", "RequestStateChange"): "_port_state_change",
    }
    STATE_FIELDS = ("profiles", "local_sync", "uefi_share", "no_host_policy", "port_state")

    def reset(self) -> None:
        self.profiles = []  # dicts, oldest first; secrets only as "psk_set" / hashes
        self.local_sync = 0
        self.uefi_share = False
        self.no_host_policy = 0
        self.port_state = 3

    def uses_certificate(self, handle: str) -> bool:
        return any(handle in (profile.get("client_cert"), profile.get("ca_cert")) for profile in self.profiles)

    def profile_instance_ids(self) -> list:
        return [SETTINGS_PREFIX + profile["name"] for profile in sorted(self.profiles, key=lambda item: item["priority"])]

    def ieee8021x_certificates(self) -> list:
        """{"instance_id": CIM_IEEE8021xSettings InstanceID, "certificates": [handles]} of each 802.1X profile."""
        return [{"instance_id": IEEE8021X_PREFIX + profile["name"],
                 "certificates": [handle for handle in (profile["client_cert"], profile["ca_cert"]) if handle is not None]}
                for profile in self.profiles if profile.get("ieee8021x")]

    def _mac(self) -> str:
        return hashlib.sha256(f"wifi:{self.device.uuid}".encode()).hexdigest()[:12]

    # --- instances ----------------------------------------------------------------------------------------
    def _service_instances(self, caller) -> list:
        props = {
            "CreationClassName": "AMT_WiFiPortConfigurationService",
            "ElementName": "Intel(r) AMT WiFiPort Configuration Service",
            "EnabledState": 5,
            "HealthState": 5,
            "LastConnectedSsidUnderMeControl": "",
            "Name": "Intel(r) AMT WiFi Port Configuration Service",
            "NoHostCsmeSoftwarePolicy": self.no_host_policy,
            "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
            "localProfileSynchronizationEnabled": self.local_sync,
        }
        if self.device.firmware.major >= 16:
            props["UEFIWiFiProfileShareEnabled"] = self.uefi_share
        return [Instance("AMT_WiFiPortConfigurationService", props)]

    def _put_service(self, current, new, caller) -> None:
        sync = prop_int(new, "localProfileSynchronizationEnabled", self.local_sync)
        policy = prop_int(new, "NoHostCsmeSoftwarePolicy", self.no_host_policy)
        if sync not in (0, 1, 3) or policy not in (0, 1):
            raise WsmanFault("InvalidParameter", "localProfileSynchronizationEnabled or NoHostCsmeSoftwarePolicy out of range")
        share = prop_bool(new, "UEFIWiFiProfileShareEnabled", self.uefi_share) if self.device.firmware.major >= 16 else False
        if sync != self.local_sync:
            self.device.audit.log((27, 3), caller)
        if share != self.uefi_share:
            self.device.audit.log((27, 5), caller)
        self.local_sync, self.uefi_share, self.no_host_policy = sync, share, policy
        self.changed()

    def _settings_instances(self, caller) -> list:
        return [Instance("CIM_WiFiEndpointSettings", {
            "AuthenticationMethod": profile["auth"],
            "BSSType": 3,
            "ElementName": profile["name"],
            "EncryptionMethod": profile["enc"],
            "InstanceID": SETTINGS_PREFIX + profile["name"],
            "Priority": profile["priority"],
            "SSID": profile["ssid"],
        }) for profile in sorted(self.profiles, key=lambda item: item["priority"])]

    def _ieee8021x_instances(self, caller) -> list:
        return [Instance("CIM_IEEE8021xSettings", dict(
            {"ElementName": profile["name"], "InstanceID": IEEE8021X_PREFIX + profile["name"]},
            **{name: value for name, value in profile["ieee8021x"].items() if value is not None}))
            for profile in self.profiles if profile.get("ieee8021x")]

    def _capabilities_instances(self, caller) -> list:
        legacy = self.device.firmware.legacy_wifi_ciphers()
        authentication = [OPEN_SYSTEM, SHARED_KEY, WPA_PSK, WPA_8021X, WPA2_PSK, WPA2_8021X] if legacy else \
            [OPEN_SYSTEM, WPA2_PSK, WPA2_8021X, WPA3_SAE, WPA3_OWE]
        # Shape (InstanceID, property names) follows the DMTF class; AMT's own values are UNCONFIRMED.
        return [Instance("CIM_WiFiEndpointCapabilities", {
            "ElementName": "Intel(r) AMT WiFi Endpoint Capabilities",
            "InstanceID": "Intel(r) AMT:WiFi Endpoint Capabilities 0",
            "SupportedAuthenticationMethods": authentication,
            "SupportedEncryptionMethods": [WEP, TKIP, CCMP, NO_ENCRYPTION] if legacy else [CCMP, NO_ENCRYPTION],
        })]

    def _port_instances(self, caller) -> list:
        return [Instance("CIM_WiFiPort", {
            "CreationClassName": "CIM_WiFiPort",
            "DeviceID": "WiFi Port 0",
            "ElementName": "WiFi Port 0",
            "EnabledState": self.port_state,
            "HealthState": 5,
            "LinkTechnology": 11,
            "PermanentAddress": self._mac(),
            "PortType": 0,
            "RequestedState": self.port_state,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _endpoint_instances(self, caller) -> list:
        return [Instance("CIM_WiFiEndpoint", {
            "CreationClassName": "CIM_WiFiEndpoint",
            "ElementName": "WiFi Endpoint 0",
            "EnabledState": 3 if self.port_state == 3 else 6,
            "HealthState": 5,
            "MACAddress": self._mac(),
            "Name": "WiFi Endpoint 0",
            "RequestedState": 3 if self.port_state == 3 else 2,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _port_state_change(self, instance, inputs, caller):
        requested = int_input(inputs, "RequestedState")
        if requested not in PORT_STATES:
            return result(CIM_INVALID_PARAMETER)
        self.port_state = requested
        self.changed()
        return result(CIM_COMPLETED)

    # --- profiles -----------------------------------------------------------------------------------------
    def _certificate_reference(self, inputs, name: str, root: bool):
        """(handle or None, ok) for an optional credential EPR."""
        if name not in inputs:
            return None, True
        epr = epr_input(inputs, name)
        instance_id = epr.selector("InstanceID") if isinstance(epr, EPR) else None
        handle = instance_id[len(CERT_PREFIX):] if isinstance(instance_id, str) and instance_id.startswith(CERT_PREFIX) else None
        entry = self.device.tls.certificates.get(handle)
        return handle, entry is not None and entry["root"] == root

    def _profile_from(self, inputs, user: bool):
        """(profile dict, 0) or (None, ReturnValue)."""
        settings = instance_input(inputs, "WiFiEndpointSettingsInput")
        if settings is None:
            return None, WIFI_INVALID_PARAMETER
        name = prop_text(settings, "ElementName", "")
        ssid = prop_text(settings, "SSID", "")
        auth = prop_int(settings, "AuthenticationMethod")
        enc = prop_int(settings, "EncryptionMethod")
        priority = prop_int(settings, "Priority", 1)
        if not _NAME.match(name) or not 0 < len(ssid) <= 32 or priority < 0:
            return None, WIFI_INVALID_PARAMETER
        legacy = self.device.firmware.legacy_wifi_ciphers()
        allowed_enc = {TKIP, CCMP} if legacy else {CCMP}
        if auth in (OPEN_SYSTEM, SHARED_KEY):
            if not user:  # open and WEP networks only as user profiles (docs/amt-reference.md 5.2)
                return None, WIFI_INVALID_PARAMETER
            allowed_enc = ({WEP} if legacy else set()) | {NO_ENCRYPTION}
        elif auth in (WPA3_SAE, WPA3_OWE):
            allowed_enc = {CCMP}
        elif auth not in PSK_METHODS + IEEE8021X_METHODS:
            return None, WIFI_INVALID_PARAMETER
        if enc not in allowed_enc:
            return None, WIFI_INVALID_PARAMETER
        profile = {"name": name, "ssid": ssid, "auth": auth, "enc": enc, "priority": priority, "user": user,
                   "psk_set": False, "ieee8021x": None, "client_cert": None, "ca_cert": None}
        if auth in PSK_METHODS:
            passphrase = prop_text(settings, "PSKPassPhrase")
            psk_value = prop_text(settings, "PSKValue")
            if not ((passphrase and 8 <= len(passphrase) <= 63) or (psk_value and len(psk_value) == 64)):
                return None, WIFI_INVALID_PARAMETER
            profile["psk_set"] = True
        if auth in IEEE8021X_METHODS:
            code = self._ieee8021x_from(inputs, profile)
            if code != WIFI_COMPLETED:
                return None, code
        return profile, WIFI_COMPLETED

    def _ieee8021x_from(self, inputs, profile) -> int:
        ieee = instance_input(inputs, "IEEE8021xSettingsInput")
        if ieee is None:
            return WIFI_INVALID_PARAMETER
        protocol = prop_int(ieee, "AuthenticationProtocol")
        if protocol is None or not 0 <= protocol <= 10:
            return WIFI_INVALID_PARAMETER
        client, client_ok = self._certificate_reference(inputs, "ClientCredential", root=False)
        ca, ca_ok = self._certificate_reference(inputs, "CACredential", root=True)
        if not client_ok or not ca_ok or (protocol in (EAP_TLS, EAP_FAST_TLS) and client is None):
            return WIFI_INVALID_REFERENCE
        profile["client_cert"], profile["ca_cert"] = client, ca
        # Password, PSK and PACPassword are write-only and not kept.
        profile["ieee8021x"] = {
            "AuthenticationProtocol": protocol,
            "Domain": prop_text(ieee, "Domain"),
            "RoamingIdentity": prop_text(ieee, "RoamingIdentity"),
            "ServerCertificateName": prop_text(ieee, "ServerCertificateName"),
            "ServerCertificateNameComparison": prop_int(ieee, "ServerCertificateNameComparison"),
            "Username": prop_text(ieee, "Username"),
        }
        return WIFI_COMPLETED

    def _caller_adds_user_profiles(self, caller) -> bool:
        return access.PT_ADMINISTRATION not in caller.realms

    def _add_wifi_settings(self, instance, inputs, caller):
        endpoint = epr_input(inputs, "WiFiEndpoint")
        if endpoint is None or endpoint.selector("Name") != "WiFi Endpoint 0":
            return result(WIFI_INVALID_REFERENCE)
        user = self._caller_adds_user_profiles(caller)
        profile, code = self._profile_from(inputs, user)
        if profile is None:
            return result(code)
        if any(existing["name"] == profile["name"] for existing in self.profiles):
            return result(DUPLICATE)
        user_profiles = [existing for existing in self.profiles if existing["user"]]
        if user and len(user_profiles) >= MAX_USER_PROFILES:
            self.profiles.remove(user_profiles[0])  # the 9th user profile replaces the oldest
        elif len(self.profiles) >= MAX_PROFILES:
            return result(MAX_LIMIT_REACHED)
        self.profiles.append(profile)
        self.changed()
        self.device.audit.log(events.WIFI_PROFILE_ADDED, caller, profile["name"].encode()[:32])
        return result(WIFI_COMPLETED)

    def _update_wifi_settings(self, instance, inputs, caller):
        target = epr_input(inputs, "WiFiEndpointSettings")
        instance_id = target.selector("InstanceID") if target else None
        existing = next((profile for profile in self.profiles if SETTINGS_PREFIX + profile["name"] == instance_id), None)
        if existing is None:
            return result(WIFI_INVALID_REFERENCE)
        profile, code = self._profile_from(inputs, existing["user"])
        if profile is None:
            return result(code)
        if profile["name"] != existing["name"]:
            return result(WIFI_INVALID_PARAMETER)  # a profile's name cannot change
        self.profiles[self.profiles.index(existing)] = profile
        self.changed()
        self.device.audit.log(events.WIFI_PROFILE_UPDATED, caller, profile["name"].encode()[:32])
        return result(WIFI_COMPLETED)

    def _remove_profiles(self, profiles: list, caller) -> None:
        for profile in profiles:
            self.profiles.remove(profile)
            self.device.audit.log(events.WIFI_PROFILE_REMOVED, caller, profile["name"].encode()[:32])
        self.changed()

    def _delete_all_it_profiles(self, instance, inputs, caller):
        self._remove_profiles([profile for profile in self.profiles if not profile["user"]], caller)
        return result(WIFI_COMPLETED)

    def _delete_all_user_profiles(self, instance, inputs, caller):
        self._remove_profiles([profile for profile in self.profiles if profile["user"]], caller)
        return result(WIFI_COMPLETED)

    def _delete_profile(self, current, caller) -> None:
        self._remove_profiles([profile for profile in self.profiles
                               if SETTINGS_PREFIX + profile["name"] == current.props["InstanceID"]], caller)
