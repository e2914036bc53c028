"""Device-wide settings: AMT_GeneralSettings, AMT_EthernetPortSettings, AMT_EnvironmentDetectionSettingData,
AMT_UserInitiatedConnectionService, AMT_WebUIService and CIM_SoftwareIdentity (docs/amt-reference.md 3.3, 3.4, 7.6-7.9)."""
from __future__ import annotations

import hashlib
import ipaddress

from amtsim.model.codes import CIM_COMPLETED, CIM_INVALID_PARAMETER, SUCCESS
from amtsim.model.component import Component, int_input, prop_bool, prop_int, prop_list, prop_text, result
from amtsim.types import Instance, WsmanFault

GENERAL_ID = "Intel(r) AMT: General Settings"
ETHERNET_ID = "Intel(r) AMT Ethernet Port Settings "
ENVIRONMENT_ID = "Intel(r) AMT Environment Detection Settings"
UIC_STATES = (32768, 32769, 32770, 32771)
# Intel's SDK (configuring environment detection): each domain 190 characters at most. The count limit is ours.
DETECTION_DOMAIN_MAX = 190
DETECTION_DOMAINS_MAX_COUNT = 5
# DetectionIPv6LocalPrefixes holds "XXXX:XXXX:XXXX:XXXX/Y": the first 64 bits of an address at most (AMT MOF text).
IPV6_PREFIX_MAX_LENGTH = 64
# GeneralSettings.PresenceNotificationInterval: 0 (off) or at least 15 minutes (Intel's property description).
PRESENCE_NOTIFICATION_MIN = 15

# Writable AMT_GeneralSettings properties: name -> (kind, default)
_GENERAL_WRITABLE = {
    "AMTNetworkEnabled": ("int", 1), "DDNSPeriodicUpdateInterval": ("int", 1440), "DDNSTTL": ("int", 900),
    "DDNSUpdateByDHCPServerEnabled": ("bool", True), "DDNSUpdateEnabled": ("bool", False),
    "DHCPSyncRequiresHostname": ("int", 1), "DHCPv6ConfigurationTimeout": ("int", 0), "DomainName": ("str", ""),
    "HostName": ("str", ""), "HostOSFQDN": ("str", ""), "IdleWakeTimeout": ("int", 1),
    "PingResponseEnabled": ("bool", True), "PreferredAddressFamily": ("int", 0), "PresenceNotificationInterval": ("int", 0),
    "RmcpPingResponseEnabled": ("bool", True), "SharedFQDN": ("bool", True), "ThunderboltDockEnabled": ("int", 0),
    "WsmanOnlyMode": ("bool", False),
}
_ETHERNET_WRITABLE = {"DHCPEnabled": "bool", "IPAddress": "str", "SubnetMask": "str", "DefaultGateway": "str",
                      "PrimaryDNS": "str", "SecondaryDNS": "str", "SharedStaticIp": "bool", "IpSyncEnabled": "bool"}
_READERS = {"int": prop_int, "bool": prop_bool, "str": prop_text}


def _is_local_prefix(text: str) -> bool:
    address, slash, length = text.partition("/")
    if not slash or not length.isdigit() or not 1 <= int(length) <= IPV6_PREFIX_MAX_LENGTH:
        return False
    try:
        ipaddress.IPv6Network(f"{address}/{int(length)}", strict=True)
    except ValueError:
        return False
    return True


class General(Component):
    INSTANCES = {
        "AMT_GeneralSettings": "_general_instances",
        "AMT_EthernetPortSettings": "_ethernet_instances",
        "AMT_EnvironmentDetectionSettingData": "_environment_instances",
        "AMT_UserInitiatedConnectionService": "_uic_instances",
        "AMT_WebUIService": "_web_ui_instances",
        "CIM_SoftwareIdentity": "_software_instances",
    }
    PUTS = {"AMT_GeneralSettings": "_put_general", "AMT_EthernetPortSettings": "_put_ethernet",
            "AMT_EnvironmentDetectionSettingData": "_put_environment"}
    METHODS = {
        ("AMT_UserInitiatedConnectionService", "RequestStateChange"): "_uic_state_change",
        ("AMT_WebUIService", "RequestStateChange"): "_web_ui_state_change",
        ("AMT_EthernetPortSettings", "SetLinkPreference"): "_set_link_preference",
    }
    STATE_FIELDS = ("general", "ethernet", "detection_strings", "detection_ipv6_prefixes", "detection_algorithm", "uic_state",
                    "web_ui_enabled", "link_preference")

    def reset(self) -> None:
        self.general = {name: default for name, (_kind, default) in _GENERAL_WRITABLE.items()}
        self.ethernet = {"DHCPEnabled": True, "IPAddress": "", "SubnetMask": "", "DefaultGateway": "", "PrimaryDNS": "",
                         "SecondaryDNS": "", "SharedStaticIp": False, "IpSyncEnabled": True}
        self.detection_strings = []
        self.detection_ipv6_prefixes = []
        self.detection_algorithm = 0
        self.uic_state = 32771
        self.web_ui_enabled = True
        self.link_preference = 2

    def _lease(self) -> dict:
        """What the wired port learnt from DHCP: the device's address in a /24 whose router (.1, or .254 where the
        device itself is .1) is also its DNS server."""
        address = next((item for item in self.device.addresses if item.count(".") == 3), None)
        address = address or f"192.0.2.{self.device.index % 250 + 2}"
        network, host = address.rsplit(".", 1)
        router = f"{network}.{254 if host == '1' else 1}"
        return {"IPAddress": address, "SubnetMask": "255.255.255.0", "DefaultGateway": router, "PrimaryDNS": router}

    def _mac(self, port: int) -> str:
        digest = hashlib.sha256(f"port{port}:{self.device.uuid}".encode()).hexdigest()
        return "-".join(digest[index:index + 2] for index in range(0, 12, 2))

    # --- AMT_GeneralSettings ------------------------------------------------------------------------------
    def _general_instances(self, caller) -> list:
        props = dict(self.general)
        props.update(DigestRealm=self.device.digest_realm, ElementName=GENERAL_ID, InstanceID=GENERAL_ID,
                     NetworkInterfaceEnabled=True, PowerSource=0, PrivacyLevel=0)
        return [Instance("AMT_GeneralSettings", props)]

    def _put_general(self, current, new, caller) -> None:
        if "PingResponseEnabled" not in new.props or "WsmanOnlyMode" not in new.props:
            raise WsmanFault("InvalidRepresentation", "PingResponseEnabled and WsmanOnlyMode are required")
        values = {name: _READERS[kind](new, name, self.general[name]) for name, (kind, _default) in _GENERAL_WRITABLE.items()}
        if len(values["HostName"].encode()) > 63 or len(values["DomainName"]) > 191:
            raise WsmanFault("InvalidParameter", "HostName is at most 63 bytes, DomainName 191 characters")
        if values["AMTNetworkEnabled"] not in (0, 1) or not 1 <= values["IdleWakeTimeout"] <= 65535:
            raise WsmanFault("InvalidParameter", "AMTNetworkEnabled or IdleWakeTimeout out of range")
        if 0 < values["PresenceNotificationInterval"] < PRESENCE_NOTIFICATION_MIN:
            raise WsmanFault("InvalidParameter", "PresenceNotificationInterval is 0 or at least 15 minutes")
        if values["HostName"] != self.general["HostName"]:
            self.device.audit.log((22, 1), caller)
        if values["DomainName"] != self.general["DomainName"]:
            self.device.audit.log((22, 2), caller)
        self.general = values
        self.changed()

    # --- AMT_EthernetPortSettings -------------------------------------------------------------------------
    def _ethernet_instances(self, caller) -> list:
        wired = dict(self.ethernet)
        if wired["DHCPEnabled"]:  # the port reports the address it acquired (Intel's captures of DHCP ports)
            wired.update(self._lease())
        wired.update(ElementName=ETHERNET_ID.strip(), InstanceID=ETHERNET_ID + "0", LinkIsUp=True, LinkPolicy=[1, 14],
                     MACAddress=self._mac(0), PhysicalConnectionType=0, SharedDynamicIP=True, SharedMAC=True)
        if self.device.firmware.major >= 15:
            wired["PhysicalNicMedium"] = 0
        wireless = {"ConsoleTcpMaxRetransmissions": 5, "DHCPEnabled": True, "ElementName": ETHERNET_ID.strip(),
                    "InstanceID": ETHERNET_ID + "1", "LinkControl": self.link_preference, "LinkIsUp": False,
                    "LinkPolicy": [1, 14, 16], "LinkPreference": self.link_preference, "MACAddress": self._mac(1),
                    "PhysicalConnectionType": 3, "SharedMAC": True, "WLANLinkProtectionLevel": 1}
        return [Instance("AMT_EthernetPortSettings", {key: value for key, value in wired.items() if value != ""}),
                Instance("AMT_EthernetPortSettings", wireless)]

    def _put_ethernet(self, current, new, caller) -> None:
        if current.props["InstanceID"] != ETHERNET_ID + "0":
            raise WsmanFault("InvalidParameter", "the wireless port follows the host's settings")
        self.ethernet = {name: _READERS[kind](new, name, self.ethernet[name]) for name, kind in _ETHERNET_WRITABLE.items()}
        self.changed()
        self.device.audit.log((22, 0), caller)

    def _set_link_preference(self, instance, inputs, caller):
        preference = int_input(inputs, "LinkPreference")
        if instance.props["InstanceID"] != ETHERNET_ID + "1" or preference not in (1, 2):
            return result(CIM_INVALID_PARAMETER)
        self.link_preference = preference
        self.changed()
        self.device.audit.log((27, 4), caller)
        return result(SUCCESS)

    # --- environment detection, CIRA, web UI, versions ----------------------------------------------------
    def _environment_instances(self, caller) -> list:
        return [Instance("AMT_EnvironmentDetectionSettingData", {
            "DetectionAlgorithm": self.detection_algorithm,
            "DetectionIPv6LocalPrefixes": list(self.detection_ipv6_prefixes) or None,
            "DetectionStrings": list(self.detection_strings) or None,
            "ElementName": ENVIRONMENT_ID,
            "InstanceID": ENVIRONMENT_ID,
        })]

    def _put_environment(self, current, new, caller) -> None:
        algorithm = prop_int(new, "DetectionAlgorithm", self.detection_algorithm)
        strings = prop_list(new, "DetectionStrings")
        prefixes = prop_list(new, "DetectionIPv6LocalPrefixes")
        if (algorithm not in (0, 1) or len(strings) > DETECTION_DOMAINS_MAX_COUNT
                or any(len(item) > DETECTION_DOMAIN_MAX for item in strings)):
            raise WsmanFault("InvalidParameter", "DetectionAlgorithm 0/1, at most 5 DetectionStrings of 190 characters")
        if not all(_is_local_prefix(prefix) for prefix in prefixes):
            raise WsmanFault("InvalidParameter", "DetectionIPv6LocalPrefixes are IPv6 prefixes of at most 64 bits")
        self.detection_algorithm, self.detection_strings, self.detection_ipv6_prefixes = algorithm, strings, prefixes
        self.changed()

    def _uic_instances(self, caller) -> list:
        return [Instance("AMT_UserInitiatedConnectionService", {
            "CreationClassName": "AMT_UserInitiatedConnectionService",
            "ElementName": "Intel(r) AMT User Initiated Connection Service",
            "EnabledState": self.uic_state,
            "Name": "Intel(r) AMT User Initiated Connection Service",
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _uic_state_change(self, instance, inputs, caller):
        requested = int_input(inputs, "RequestedState")
        if requested not in UIC_STATES:
            return result(CIM_INVALID_PARAMETER)
        self.uic_state = requested
        self.changed()
        return result(CIM_COMPLETED)

    def _web_ui_instances(self, caller) -> list:
        state = 2 if self.web_ui_enabled else 3
        return [Instance("AMT_WebUIService", {
            "CreationClassName": "AMT_WebUIService",
            "ElementName": "Intel(r) AMT Web Browser UI Service",
            "EnabledState": state,
            "Name": "Intel(r) AMT Web Browser UI Service",
            "RequestedState": state,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _web_ui_state_change(self, instance, inputs, caller):
        requested = int_input(inputs, "RequestedState")
        if requested not in (2, 3):
            return result(CIM_INVALID_PARAMETER)
        self.web_ui_enabled = requested == 2
        self.changed()
        return result(CIM_COMPLETED)

    def _software_instances(self, caller) -> list:
        return [Instance("CIM_SoftwareIdentity", {"InstanceID": name, "IsEntity": True, "VersionString": version})
                for name, version in self.device.firmware.software_identities()]
