"""CIRA as configured on the device (no tunnel is opened): AMT_RemoteAccessService with AddMpServer and
AddRemoteAccessPolicyRule, AMT_ManagementPresenceRemoteSAP, AMT_RemoteAccessPolicyRule,
AMT_RemoteAccessPolicyAppliesToMPS, AMT_MPSUsernamePassword, AMT_RemoteAccessCapabilities, and the HTTP proxies
of IPS_HTTPProxyService / IPS_HTTPProxyAccessPoint.

Names, selectors and limits follow Intel's captures in go-wsman-messages (wsmantesting/responses/amt/remoteaccess,
managementpresence, mps, ips/http). The MPS password and the MPSUsernamePassword Secret are write-only: they are
checked and then dropped, never kept, rendered or logged.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re

from amtsim.model.codes import DUPLICATE, INVALID_PARAMETER, MAX_LIMIT_REACHED, SUCCESS
from amtsim.model.component import (Component, epr_input, int_input, list_input, prop_bool, prop_int, prop_text, result,
                                    text_input)
from amtsim.model.tls import certificate_epr, certificate_handle
from amtsim.types import EPR, Instance, WsmanFault, class_uri

SYSTEM = (("SystemCreationClassName", "CIM_ComputerSystem"), ("SystemName", "Intel(r) AMT"))
MPS_NAME = "Intel(r) AMT:Management Presence Server "
MPS_CREDENTIAL_ID = "Intel(r) AMT:MPS Username Password "
PROXY_NAME = "Intel(r) ME:HTTP Proxy Access Point "
# The limits AMT_RemoteAccessCapabilities reports in Intel's capture.
MAX_MPS_PER_POLICY, MAX_MP_SERVERS, MAX_POLICIES, MAX_PROXIES = 2, 6, 3, 15
POLICY_NAMES = {0: "User Initiated", 1: "Alert", 2: "Periodic"}
PERIODIC = 2
IPV4, IPV6, FQDN = 3, 4, 201
MUTUAL_AUTHENTICATION, PASSWORD_AUTHENTICATION = 1, 2
MPS_TYPES = (0, 1, 2)  # external, internal, both
EXTERNAL, INTERNAL = 0, 1
MAX_EXTENDED_DATA = 32
FIRST_PROXY_MAJOR = 12  # MeshCentral asks for the proxy classes only from AMT 12 on
_USERNAME = re.compile(r"^[A-Za-z0-9]{1,16}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _address_ok(access_info: str | None, info_format: int | None, limit: int = 256) -> bool:
    if not access_info or len(access_info) > limit:
        return False
    try:
        if info_format == IPV4:
            ipaddress.IPv4Address(access_info)
            return True
        if info_format == IPV6:
            ipaddress.IPv6Address(access_info)
            return True
    except ValueError:
        return False
    return info_format == FQDN and _domain_ok(access_info)


def _domain_ok(name: str) -> bool:
    return all(_LABEL.match(label) for label in name.rstrip(".").split("."))


def _port_ok(port: int | None) -> bool:
    return port is not None and 0 < port < 65536


def _extended_data(text: str | None, trigger: int) -> bytes | None:
    """The decoded ExtendedData, or None when it is not valid for the trigger."""
    try:
        data = base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(data) > MAX_EXTENDED_DATA:
        return None
    if trigger != PERIODIC:
        return data
    # Periodic: a uint32 type, then an interval in seconds (type 0) or an hour and a minute (type 1), network order.
    values = [int.from_bytes(data[offset:offset + 4], "big") for offset in range(0, len(data), 4)]
    if len(data) == 8 and values[0] == 0 and values[1] > 0:
        return data
    if len(data) == 12 and values[0] == 1 and values[1] < 24 and values[2] < 60:
        return data
    return None


def _lowest_free(used) -> int:
    handle = 0
    while handle in used:
        handle += 1
    return handle


class Cira(Component):
    INSTANCES = {
        "AMT_RemoteAccessService": "_service_instances",
        "AMT_RemoteAccessCapabilities": "_capabilities_instances",
        "AMT_ManagementPresenceRemoteSAP": "_server_instances",
        "AMT_RemoteAccessPolicyRule": "_policy_instances",
        "AMT_RemoteAccessPolicyAppliesToMPS": "_applies_instances",
        "AMT_MPSUsernamePassword": "_credential_instances",
        "IPS_HTTPProxyService": "_proxy_service_instances",
        "IPS_HTTPProxyAccessPoint": "_proxy_instances",
    }
    PUTS = {"AMT_RemoteAccessPolicyRule": "_put_policy", "AMT_RemoteAccessPolicyAppliesToMPS": "_put_applies",
            "AMT_MPSUsernamePassword": "_put_credential", "IPS_HTTPProxyService": "_put_proxy_service"}
    DELETES = {"AMT_ManagementPresenceRemoteSAP": "_delete_server", "AMT_RemoteAccessPolicyRule": "_delete_policy",
               "IPS_HTTPProxyAccessPoint": "_delete_proxy"}
    METHODS = {
        ("AMT_RemoteAccessService", "AddMpServer"): "_add_mp_server",
        ("AMT_RemoteAccessService", "AddRemoteAccessPolicyRule"): "_add_policy",
        ("IPS_HTTPProxyService", "AddProxyAccessPoint"): "_add_proxy",
    }
    STATE_FIELDS = ("servers", "policies", "proxies", "proxy_sync")

    def reset(self) -> None:
        # servers: handle (str) -> {"access_info", "info_format", "port", "cn", "auth", "username", "certificate"}
        self.servers = {}
        # policies: trigger (str) -> {"lifetime", "extended_data" (base64), "targets": [[server, order, mps_type]]}
        self.policies = {}
        # proxies: handle (str) -> {"access_info", "info_format", "port", "suffix"}
        self.proxies = {}
        self.proxy_sync = False

    def uses_certificate(self, handle: str) -> bool:
        return any(server["certificate"] == handle for server in self.servers.values())

    def server_credentials(self) -> list:
        """(MPS EPR, credential EPR) for each server: its certificate or its AMT_MPSUsernamePassword."""
        pairs = []
        for handle, server in self._servers_in_order():
            if server["auth"] == MUTUAL_AUTHENTICATION:
                credential = certificate_epr(server["certificate"])
            else:
                credential = EPR(class_uri("AMT_MPSUsernamePassword"), (("InstanceID", MPS_CREDENTIAL_ID + handle),))
            pairs.append((self._server_epr(handle), credential))
        return pairs

    def _servers_in_order(self) -> list:
        return sorted(self.servers.items(), key=lambda item: int(item[0]))

    # --- references ---------------------------------------------------------------------------------------
    @staticmethod
    def _server_epr(handle: str) -> EPR:
        return EPR(class_uri("AMT_ManagementPresenceRemoteSAP"),
                   (("CreationClassName", "AMT_ManagementPresenceRemoteSAP"), ("Name", MPS_NAME + handle)) + SYSTEM)

    @staticmethod
    def _policy_epr(trigger: str) -> EPR:
        return EPR(class_uri("AMT_RemoteAccessPolicyRule"),
                   (("CreationClassName", "AMT_RemoteAccessPolicyRule"), ("PolicyRuleName", POLICY_NAMES[int(trigger)]))
                   + SYSTEM)

    @staticmethod
    def _proxy_epr(handle: str) -> EPR:
        return EPR(class_uri("IPS_HTTPProxyAccessPoint"),
                   (("CreationClassName", "IPS_HTTPProxyAccessPoint"), ("Name", PROXY_NAME + handle)) + SYSTEM)

    def _server_of(self, reference) -> str | None:
        name = reference.selector("Name") if isinstance(reference, EPR) else None
        if not isinstance(name, str) or not name.startswith(MPS_NAME):
            return None
        handle = name[len(MPS_NAME):]
        return handle if handle in self.servers else None

    def _require_proxy_generation(self) -> None:
        if self.device.firmware.major < FIRST_PROXY_MAJOR:
            raise WsmanFault("DestinationUnreachable")

    # --- instances ----------------------------------------------------------------------------------------
    def _service_instances(self, caller) -> list:
        props = {"CreationClassName": "AMT_RemoteAccessService", "ElementName": "Intel(r) AMT Remote Access Service",
                 "Name": "Intel(r) AMT Remote Access Service", **dict(SYSTEM)}
        if self.device.firmware.major >= 17:  # the tunnel status properties came with CSME 17
            props.update(IsRemoteTunnelConnected=False, RemoteTunnelKeepAliveTimeout=4294967295)
        return [Instance("AMT_RemoteAccessService", props)]

    def _capabilities_instances(self, caller) -> list:
        name = "Intel(r) AMT:Remote Access Capabilities"
        return [Instance("AMT_RemoteAccessCapabilities", {
            "ElementName": name, "InstanceID": name, "MaxMpsPerPolicy": MAX_MPS_PER_POLICY,
            "MaxTotalMpServers": MAX_MP_SERVERS, "MaxTotalPolicies": MAX_POLICIES, "MaxTotalProxyEntryPoints": MAX_PROXIES})]

    def _server_instances(self, caller) -> list:
        return [Instance("AMT_ManagementPresenceRemoteSAP", {
            "AccessInfo": server["access_info"],
            "CN": server["cn"] or None,
            "CreationClassName": "AMT_ManagementPresenceRemoteSAP",
            "ElementName": "Intel(r) AMT:Management Presence Server",
            "InfoFormat": server["info_format"],
            "Name": MPS_NAME + handle,
            "Port": server["port"],
            **dict(SYSTEM),
        }) for handle, server in self._servers_in_order()]

    def _policy_instances(self, caller) -> list:
        return [Instance("AMT_RemoteAccessPolicyRule", {
            "CreationClassName": "AMT_RemoteAccessPolicyRule",
            "ElementName": "Inte(r) AMT:Remote Access Policy",  # sic, as Intel's capture spells it
            "ExtendedData": policy["extended_data"] or None,
            "PolicyRuleName": POLICY_NAMES[int(trigger)],
            **dict(SYSTEM),
            "Trigger": int(trigger),
            "TunnelLifeTime": policy["lifetime"],
        }) for trigger, policy in sorted(self.policies.items())]

    def _applies_instance(self, trigger: str, server: str, order: int, mps_type: int) -> Instance:
        with_type = (self.device.firmware.major, self.device.firmware.minor) >= (11, 6)  # MpsType came with 11.6
        return Instance("AMT_RemoteAccessPolicyAppliesToMPS", {
            "ManagedElement": self._server_epr(server), "MpsType": mps_type if with_type else None, "OrderOfAccess": order,
            "PolicySet": self._policy_epr(trigger)})

    def _applies_instances(self, caller) -> list:
        return [self._applies_instance(trigger, *target)
                for trigger, policy in sorted(self.policies.items()) for target in policy["targets"]]

    def _credential_instances(self, caller) -> list:
        return [Instance("AMT_MPSUsernamePassword", {"InstanceID": MPS_CREDENTIAL_ID + handle, "RemoteID": server["username"]})
                for handle, server in self._servers_in_order() if server["auth"] == PASSWORD_AUTHENTICATION]

    def _proxy_service_instances(self, caller) -> list:
        self._require_proxy_generation()
        name = "Intel(r) AMT HTTP Proxy Service"  # the firmware's own name is UNCONFIRMED
        return [Instance("IPS_HTTPProxyService", {"CreationClassName": "IPS_HTTPProxyService", "ElementName": name,
                                                  "Name": name, "SyncEnabled": self.proxy_sync, **dict(SYSTEM)})]

    def _proxy_instances(self, caller) -> list:
        self._require_proxy_generation()
        return [Instance("IPS_HTTPProxyAccessPoint", {
            "AccessInfo": proxy["access_info"],
            "CreationClassName": "IPS_HTTPProxyAccessPoint",
            "ElementName": "Intel(r) ME:HTTP Proxy Access Point",
            "InfoFormat": proxy["info_format"],
            "Name": PROXY_NAME + handle,
            "NetworkDnsSuffix": proxy["suffix"] or None,
            "Port": proxy["port"],
            **dict(SYSTEM),
        }) for handle, proxy in sorted(self.proxies.items(), key=lambda item: int(item[0]))]

    # --- AddMpServer --------------------------------------------------------------------------------------
    def _server_authentication(self, inputs, auth: int):
        """(username, certificate handle) for a valid authentication choice, else None."""
        username, password = text_input(inputs, "Username"), text_input(inputs, "Password")
        if auth == PASSWORD_AUTHENTICATION:
            if not _USERNAME.match(username or "") or not password or len(password) > 16:
                return None
            return username, None
        if auth != MUTUAL_AUTHENTICATION or username or password:
            return None
        handle = certificate_handle(epr_input(inputs, "Certificate"))
        entry = self.device.tls.certificates.get(handle)
        if entry is None or entry["root"] or entry["key"] is None:
            return None
        return None, handle

    def _add_mp_server(self, instance, inputs, caller):
        access_info, info_format = text_input(inputs, "AccessInfo"), int_input(inputs, "InfoFormat")
        port, auth, common_name = int_input(inputs, "Port"), int_input(inputs, "AuthMethod"), text_input(inputs, "CN", "")
        if not _address_ok(access_info, info_format) or not _port_ok(port) or len(common_name) > 256:
            return result(INVALID_PARAMETER)
        if info_format != FQDN and not common_name:  # an address needs the name its certificate is checked against
            return result(INVALID_PARAMETER)
        authentication = self._server_authentication(inputs, auth)
        if authentication is None:
            return result(INVALID_PARAMETER)
        if any(server["access_info"].lower() == access_info.lower() and server["port"] == port
               for server in self.servers.values()):
            return result(DUPLICATE)
        if len(self.servers) >= MAX_MP_SERVERS:
            return result(MAX_LIMIT_REACHED)
        handle = str(_lowest_free({int(key) for key in self.servers}))
        username, certificate = authentication
        self.servers[handle] = {"access_info": access_info, "info_format": info_format, "port": port, "cn": common_name,
                                "auth": auth, "username": username, "certificate": certificate}
        self.changed()
        return result(SUCCESS, ("MpServer", self._server_epr(handle)))

    def _delete_server(self, current, caller) -> None:
        handle = current.props["Name"][len(MPS_NAME):]
        if any(target[0] == handle for policy in self.policies.values() for target in policy["targets"]):
            # Whether firmware refuses or cascades is UNCONFIRMED; refusing keeps every policy's MPS real.
            raise WsmanFault("AccessDenied", "The MPS is used by a remote access policy.")
        del self.servers[handle]
        self.changed()

    # --- AddRemoteAccessPolicyRule ------------------------------------------------------------------------
    def _policy_targets(self, inputs) -> list | None:
        references = [(reference, EXTERNAL) for reference in list_input(inputs, "MpServer")] + \
                     [(reference, INTERNAL) for reference in list_input(inputs, "InternalMpServer")]
        handles = [self._server_of(reference) for reference, _kind in references]
        if not handles or len(handles) > MAX_MPS_PER_POLICY or None in handles or len(set(handles)) != len(handles):
            return None
        return [[handle, order, kind] for order, (handle, (_reference, kind)) in enumerate(zip(handles, references))]

    def _add_policy(self, instance, inputs, caller):
        trigger, lifetime = int_input(inputs, "Trigger"), int_input(inputs, "TunnelLifeTime", 0)
        if trigger not in POLICY_NAMES or not 0 <= lifetime <= 0xFFFFFFFF:
            return result(INVALID_PARAMETER)
        extended_data = _extended_data(text_input(inputs, "ExtendedData"), trigger)
        targets = self._policy_targets(inputs)
        if extended_data is None or targets is None:
            return result(INVALID_PARAMETER)
        if str(trigger) in self.policies:
            return result(DUPLICATE)
        if len(self.policies) >= MAX_POLICIES:
            return result(MAX_LIMIT_REACHED)
        self.policies[str(trigger)] = {"lifetime": lifetime, "extended_data": base64.b64encode(extended_data).decode(),
                                       "targets": targets}
        self.changed()
        return result(SUCCESS, ("PolicyRule", self._policy_epr(str(trigger))))

    def _put_policy(self, current, new, caller) -> None:
        trigger = current.props["Trigger"]
        lifetime = prop_int(new, "TunnelLifeTime", current.props["TunnelLifeTime"])
        extended_data = _extended_data(prop_text(new, "ExtendedData", current.props["ExtendedData"] or ""), trigger)
        if prop_int(new, "Trigger", trigger) != trigger or not 0 <= lifetime <= 0xFFFFFFFF or extended_data is None:
            raise WsmanFault("InvalidParameter", "a policy keeps its trigger; TunnelLifeTime or ExtendedData is not valid")
        self.policies[str(trigger)].update(lifetime=lifetime, extended_data=base64.b64encode(extended_data).decode())
        self.changed()

    def _delete_policy(self, current, caller) -> None:
        del self.policies[str(current.props["Trigger"])]
        self.changed()

    # --- AMT_RemoteAccessPolicyAppliesToMPS ---------------------------------------------------------------
    def _put_applies(self, current, new, caller) -> Instance:
        policy_set, managed = new.props.get("PolicySet"), new.props.get("ManagedElement")
        name = policy_set.selector("PolicyRuleName") if isinstance(policy_set, EPR) else None
        trigger = next((str(key) for key, value in POLICY_NAMES.items() if value == name), None)
        if trigger not in self.policies:
            raise WsmanFault("InvalidParameter", "PolicySet must name an existing remote access policy.")
        targets = self.policies[trigger]["targets"]
        if isinstance(managed, EPR) and managed.selector("Name") is not None:
            target = next((item for item in targets if item[0] == self._server_of(managed)), None)
        else:  # a client may leave the MPS out when the policy has a single one
            target = targets[0] if len(targets) == 1 else None
        mps_type, order = prop_int(new, "MpsType", EXTERNAL), prop_int(new, "OrderOfAccess", 0)
        if target is None or mps_type not in MPS_TYPES or not 0 <= order < MAX_MPS_PER_POLICY:
            raise WsmanFault("InvalidParameter", "ManagedElement, MpsType or OrderOfAccess is not valid.")
        target[1], target[2] = order, mps_type
        self.changed()
        return self._applies_instance(trigger, *target)

    # --- AMT_MPSUsernamePassword --------------------------------------------------------------------------
    def _put_credential(self, current, new, caller) -> None:
        handle = current.props["InstanceID"][len(MPS_CREDENTIAL_ID):]
        username, secret = prop_text(new, "RemoteID", current.props["RemoteID"]), prop_text(new, "Secret")
        if not _USERNAME.match(username or "") or (secret is not None and not 0 < len(secret) <= 16):
            raise WsmanFault("InvalidParameter", "RemoteID is 1-16 letters or digits, Secret 1-16 characters.")
        self.servers[handle]["username"] = username
        self.changed()

    # --- HTTP proxies -------------------------------------------------------------------------------------
    def _put_proxy_service(self, current, new, caller) -> None:
        self.proxy_sync = prop_bool(new, "SyncEnabled", self.proxy_sync)
        self.changed()

    def _add_proxy(self, instance, inputs, caller):
        access_info, info_format = text_input(inputs, "AccessInfo"), int_input(inputs, "InfoFormat")
        port, suffix = int_input(inputs, "Port"), text_input(inputs, "NetworkDnsSuffix", "")
        if not _address_ok(access_info, info_format) or not _port_ok(port) or len(suffix) > 192 or \
                (suffix and not _domain_ok(suffix)):
            return result(INVALID_PARAMETER)
        if any(proxy["access_info"].lower() == access_info.lower() and proxy["port"] == port and
               proxy["suffix"].lower() == suffix.lower() for proxy in self.proxies.values()):
            return result(DUPLICATE)
        if len(self.proxies) >= MAX_PROXIES:
            return result(MAX_LIMIT_REACHED)
        handle = str(_lowest_free({int(key) for key in self.proxies}))
        self.proxies[handle] = {"access_info": access_info, "info_format": info_format, "port": port, "suffix": suffix}
        self.changed()
        return result(SUCCESS, ("ProxyAccessPoint", self._proxy_epr(handle)))

    def _delete_proxy(self, current, caller) -> None:
        del self.proxies[current.props["Name"][len(PROXY_NAME):]]
        self.changed()
