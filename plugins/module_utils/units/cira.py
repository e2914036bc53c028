# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CIRA: the management presence servers (MPS) AMT tunnels out to, the remote-access policies that say when it does,
the state of the user-initiated connection service, and the root certificate of the servers' TLS certificates.

Cira is the unit (units/base.py). It reads AMT_ManagementPresenceRemoteSAP, AMT_RemoteAccessPolicyRule with
AMT_RemoteAccessPolicyAppliesToMPS, AMT_UserInitiatedConnectionService and the trusted roots, and writes in the order
Intel's rpc-go does: policies are removed before the servers they name, servers are removed before servers are added,
the MPS root certificate is added before the servers, and policies are added last. AMT has no update for either: a
changed server or policy is removed and added again. Only a binding's MpsType (whether AMT uses the server outside
the organisation's network, inside it, or both) is changed in place, by a Put of AMT_RemoteAccessPolicyAppliesToMPS.

MPS passwords are write-only: AMT never returns them, so an existing server is rewritten with its password only when
its readable settings change or with update_password=always. Built with options=None the unit reads everything but
the MPS root (which only the task's certificate identifies), as amt_info's network subset reports it (mps_servers,
cira_policies, cira_user_initiated), which can be given back to amt_cira's servers, policies and user_initiated options.
"""

from __future__ import annotations

import base64
import ipaddress
import re

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import epr, optional
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_MASK, SECRET_WRITTEN_MASK, Unit, refuse
from ansible_collections.oob.amt.plugins.module_utils.units.wifi import certificate_der
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError

# AMT_RemoteAccessPolicyRule.Trigger and the names AMT gives each rule (PolicyRuleName).
TRIGGERS = {"user_initiated": 0, "alert": 1, "periodic": 2}
TRIGGER_NAMES = dict((value, name) for name, value in TRIGGERS.items())
USER_INITIATED = dict((name, value) for value, name in schema.USER_INITIATED_CONNECTION_STATE.items())
MPS_TYPES = dict((name, value) for value, name in schema.MPS_TYPE.items())
DEFAULT_MPS_TYPE = schema.MPS_TYPE[0]

# The options of one remote-access policy, as amt_cira and amt_baseline's AMT-CIRA-03 both take them.
POLICY_OPTIONS = {
    "trigger": {"type": "str", "required": True, "choices": sorted(TRIGGERS)},
    "servers": {"type": "list", "elements": "str", "required": True},
    "tunnel_lifetime": {"type": "int", "default": 0},
    "interval": {"type": "int"},
    "daily_at": {"type": "str"},
    "mps_type": {"type": "str", "choices": sorted(MPS_TYPES), "default": DEFAULT_MPS_TYPE},
}
# AMT_ManagementPresenceRemoteSAP.InfoFormat and AddMpServer's AuthMethod.
INFO_FORMAT_IPV4, INFO_FORMAT_IPV6, INFO_FORMAT_FQDN = 3, 4, 201
AUTH_MUTUAL, AUTH_PASSWORD = 1, 2
# Limits AMT_RemoteAccessCapabilities reports (go-wsman-messages' capture): 6 servers, 2 servers per policy.
MAX_SERVERS = 6
MAX_SERVERS_PER_POLICY = 2
MAX_ADDRESS = 256
MAX_CN = 256
MAX_TUNNEL_LIFETIME = 0xFFFFFFFF
# Periodic ExtendedData: a uint32 type (0 every interval seconds, 1 daily at an hour and minute), then its values.
PERIODIC_INTERVAL, PERIODIC_DAILY = 0, 1
DEFAULT_PORT = 4433
CERTIFICATE_ID_PREFIX = "Intel(r) AMT Certificate: Handle: "
_USERNAME = re.compile(r"^[A-Za-z0-9]{1,16}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_DAILY = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
MAX_PASSWORD = 16

_METHOD_ADVICE = {
    23: "the device's table is full (at most %d servers, one policy per trigger)" % MAX_SERVERS,
    36: "the device refused the settings",
    2058: "the device already holds an entry with this address and port, or a policy with this trigger",
}


def info_format(address):
    """InfoFormat of an address: IPv4, IPv6 or a host name (FQDN); None when it is none of them."""
    try:
        return INFO_FORMAT_IPV4 if ipaddress.ip_address(address).version == 4 else INFO_FORMAT_IPV6
    except ValueError:
        pass
    labels = address.rstrip(".").split(".")
    if all(_LABEL.match(label) for label in labels):
        return INFO_FORMAT_FQDN
    return None


def _validate_server(prefix, server):
    address = server.get("address")
    if not address or len(address) > MAX_ADDRESS or info_format(address) is None:
        refuse(prefix + "address", "an IPv4 or IPv6 address or a host name of at most %d characters" % MAX_ADDRESS)
    if server.get("state", "present") == "absent":
        return
    port = server.get("port")
    if port is None or not 0 < port < 65536:
        refuse(prefix + "port", "must be between 1 and 65535 (got %s)" % port)
    cn = server.get("cn")
    if cn is not None and len(cn) > MAX_CN:
        refuse(prefix + "cn", "at most %d characters" % MAX_CN)
    if info_format(address) != INFO_FORMAT_FQDN and not cn:
        refuse(prefix + "cn", "a server given by IP address needs the common name its certificate carries")
    certificate, username, password = server.get("certificate"), server.get("username"), server.get("password")
    if certificate is not None:
        if username is not None or password is not None:
            refuse(prefix + "certificate", "a server authenticates AMT by certificate or by username and password, not both")
        if not str(certificate).isdigit():
            refuse(prefix + "certificate", "the handle of a certificate on the device that has its private key (a number)")
        return
    if username is not None and not _USERNAME.match(username):
        refuse(prefix + "username", "1 to 16 letters or digits")
    if password is not None and password not in (SECRET_MASK, SECRET_WRITTEN_MASK) and not 0 < len(password) <= MAX_PASSWORD:
        refuse(prefix + "password", "1 to %d characters" % MAX_PASSWORD)
    if (username is None) != (password is None):
        refuse(prefix + ("password" if password is None else "username"), "username and password go together")


def _validate_policy(prefix, policy):
    trigger = policy.get("trigger")
    if trigger not in TRIGGERS:
        refuse(prefix + "trigger", "must be one of %s" % ", ".join(sorted(TRIGGERS)))
    servers = policy.get("servers") or []
    if not 0 < len(servers) <= MAX_SERVERS_PER_POLICY:
        refuse(prefix + "servers", "a policy names 1 or %d servers (got %d)" % (MAX_SERVERS_PER_POLICY, len(servers)))
    if len(set(server.lower() for server in servers)) != len(servers):
        refuse(prefix + "servers", "a server is listed twice")
    if (policy.get("mps_type") or DEFAULT_MPS_TYPE) not in MPS_TYPES:
        refuse(prefix + "mps_type", "must be one of %s" % ", ".join(sorted(MPS_TYPES)))
    lifetime = policy.get("tunnel_lifetime") or 0
    if not 0 <= lifetime <= MAX_TUNNEL_LIFETIME:
        refuse(prefix + "tunnel_lifetime", "seconds between 0 (no limit) and %d" % MAX_TUNNEL_LIFETIME)
    interval, daily_at = policy.get("interval"), policy.get("daily_at")
    if trigger != "periodic":
        if interval is not None or daily_at is not None:
            refuse(prefix + ("interval" if interval is not None else "daily_at"), "applies only to trigger periodic")
        return
    if (interval is None) == (daily_at is None):
        refuse(prefix + "interval", "a periodic policy needs either interval (seconds) or daily_at (HH:MM)")
    if interval is not None and not 0 < interval <= 0xFFFFFFFF:
        refuse(prefix + "interval", "seconds, at least 1")
    if daily_at is not None and not _DAILY.match(daily_at):
        refuse(prefix + "daily_at", "a time of day as HH:MM (got %s)" % daily_at)


def validate(options):
    """The normalised task; InvalidInputError names the option and the rule."""
    servers, addresses = [], set()
    for index, server in enumerate(options.get("servers") or []):
        prefix = "servers[%d]." % index
        server = dict(server, state=server.get("state") or "present")
        if server.get("port") is None and server["state"] == "present":
            server["port"] = DEFAULT_PORT
        _validate_server(prefix, server)
        key = server["address"].lower()
        if key in addresses:
            refuse(prefix + "address", "server %s is listed twice" % server["address"])
        addresses.add(key)
        servers.append(server)
    if sum(1 for server in servers if server["state"] == "present") > MAX_SERVERS:
        refuse("servers", "AMT holds at most %d servers" % MAX_SERVERS)
    policies = options.get("policies")
    if policies is not None:
        triggers = set()
        for index, policy in enumerate(policies):
            prefix = "policies[%d]." % index
            _validate_policy(prefix, policy)
            if policy["trigger"] in triggers:
                refuse(prefix + "trigger", "one policy per trigger (%s is listed twice)" % policy["trigger"])
            triggers.add(policy["trigger"])
    root = options.get("mps_root_certificate")
    if root is not None:
        if root.count("-----BEGIN CERTIFICATE-----") != 1:
            refuse("mps_root_certificate", "one PEM certificate, the CA that signed the servers' TLS certificates")
        try:
            root = certificate_der(root)
        except ValueError:
            refuse("mps_root_certificate", "the PEM certificate could not be decoded")
    user_initiated = options.get("user_initiated")
    if user_initiated is not None and user_initiated not in USER_INITIATED:
        refuse("user_initiated", "must be one of %s" % ", ".join(sorted(USER_INITIATED)))
    want = {
        "servers": servers,
        "purge": bool(options.get("purge")),
        "policies": None if policies is None else [_policy_view(policy) for policy in policies],
        "user_initiated": user_initiated,
        "mps_root_certificate": root,
        "update_password": options.get("update_password") or "on_create",
    }
    if not servers and not want["purge"] and policies is None and user_initiated is None and root is None:
        refuse("servers", "nothing to manage: give servers, purge, policies, user_initiated or mps_root_certificate")
    return want


def _policy_view(policy):
    return {
        "trigger": policy["trigger"],
        "servers": list(policy["servers"]),
        "tunnel_lifetime": policy.get("tunnel_lifetime") or 0,
        "interval": policy.get("interval"),
        "daily_at": policy.get("daily_at"),
        "mps_type": policy.get("mps_type") or DEFAULT_MPS_TYPE,
    }


# --- reading ---------------------------------------------------------------------------------------------------


def _server_from_device(sap):
    return {
        "name": sap.get("Name"),
        "selectors": dict((key, sap.get(key)) for key in ("CreationClassName", "Name", "SystemCreationClassName", "SystemName")),
        "address": sap.get("AccessInfo"),
        "port": schema.as_int(sap.get("Port")),
        "cn": sap.get("CN") or None,
    }


def _periodic_schedule(text):
    """(interval, daily_at) of a periodic policy's ExtendedData; (None, None) when it is neither form."""
    try:
        data = base64.b64decode(text or "", validate=True)
    except ValueError:
        return None, None
    values = [int.from_bytes(data[offset:offset + 4], "big") for offset in range(0, len(data) - len(data) % 4, 4)]
    if len(values) == 2 and values[0] == PERIODIC_INTERVAL:
        return values[1], None
    if len(values) == 3 and values[0] == PERIODIC_DAILY:
        return None, "%02d:%02d" % (values[1], values[2])
    return None, None


def periodic_data(policy):
    if policy["interval"] is not None:
        values = [PERIODIC_INTERVAL, policy["interval"]]
    else:
        hour, minute = policy["daily_at"].split(":")
        values = [PERIODIC_DAILY, int(hour), int(minute)]
    return base64.b64encode(b"".join(value.to_bytes(4, "big") for value in values)).decode("ascii")


def _policies_from_device(rules, bindings, servers):
    """Policies by trigger name, each with its servers in order of access and each server's MPS type (by address, lower
    case); a binding without MpsType (firmware before 11.6) counts as external and is listed in "untyped"."""
    address_by_name = dict((server["name"], server["address"]) for server in servers)
    policies = {}
    for rule in rules:
        trigger = schema.as_int(rule.get("Trigger"))
        name = TRIGGER_NAMES.get(trigger, trigger)
        interval, daily_at = _periodic_schedule(rule.get("ExtendedData")) if trigger == TRIGGERS["periodic"] else (None, None)
        policies[name] = {
            "trigger": name,
            "rule_name": rule.get("PolicyRuleName"),
            "selectors": dict((key, rule.get(key)) for key in (
                "CreationClassName", "PolicyRuleName", "SystemCreationClassName", "SystemName")),
            "targets": [],
            "tunnel_lifetime": schema.as_int(rule.get("TunnelLifeTime")) or 0,
            "interval": interval,
            "daily_at": daily_at,
        }
    by_rule_name = dict((policy["rule_name"], policy) for policy in policies.values())
    for binding in bindings:
        policy = by_rule_name.get(((binding.get("PolicySet") or {}).get("selectors") or {}).get("PolicyRuleName"))
        server = ((binding.get("ManagedElement") or {}).get("selectors") or {}).get("Name")
        if policy is not None and server in address_by_name:
            mps_type = schema.enum_name(schema.MPS_TYPE, binding.get("MpsType"))
            policy["targets"].append((schema.as_int(binding.get("OrderOfAccess")) or 0, address_by_name[server], mps_type))
    for policy in policies.values():
        targets = sorted(policy.pop("targets"), key=lambda target: target[:2])
        policy["servers"] = [address for _order, address, _type in targets]
        policy["mps_types"] = dict((address.lower(), mps_type or DEFAULT_MPS_TYPE) for _order, address, mps_type in targets)
        policy["untyped"] = [address for _order, address, mps_type in targets if mps_type is None]
    return policies


def read(client, want):
    """The device's CIRA settings; want None (amt_info) reads all of them, the user-initiated service only where it exists."""
    servers = [_server_from_device(sap) for sap in client.enumerate(schema.AMT_MANAGEMENT_PRESENCE_REMOTE_SAP)]
    state = {"servers": servers, "policies": None, "user_initiated": None, "mps_root_certificate": None}
    rules = client.enumerate(schema.AMT_REMOTE_ACCESS_POLICY_RULE)
    bindings = client.enumerate(schema.AMT_REMOTE_ACCESS_POLICY_APPLIES_TO_MPS) if rules else []
    state["policies"] = _policies_from_device(rules, bindings, servers)
    _read_authentication(client, servers)
    if want is None:
        service = optional(lambda: client.get(schema.AMT_USER_INITIATED_CONNECTION_SERVICE))
    else:
        service = client.get(schema.AMT_USER_INITIATED_CONNECTION_SERVICE) if want["user_initiated"] is not None else None
    if service is not None:
        state["user_initiated"] = schema.enum_name(schema.USER_INITIATED_CONNECTION_STATE, service.get("EnabledState"))
    if want is not None and want["mps_root_certificate"] is not None:
        state["mps_root_certificate"] = want["mps_root_certificate"] in _trusted_roots(client)
    return state


def _read_authentication(client, servers):
    """Each server's "auth": ("certificate", handle) or ("password", username), from AMT_RemoteAccessCredentialContext."""
    contexts = client.enumerate(schema.AMT_REMOTE_ACCESS_CREDENTIAL_CONTEXT) if servers else []
    credentials = {}
    for context in contexts:
        server = ((context.get("ElementProvidingContext") or {}).get("selectors") or {}).get("Name")
        element = context.get("ElementInContext") or {}
        credentials[server] = (schema.class_name_of(element.get("resource_uri") or ""), str((element.get("selectors") or {}).get("InstanceID")))
    usernames = {}
    if any(kind == schema.AMT_MPS_USERNAME_PASSWORD for kind, _instance in credentials.values()):
        usernames = dict((str(item.get("InstanceID")), item.get("RemoteID")) for item in client.enumerate(schema.AMT_MPS_USERNAME_PASSWORD))
    for server in servers:
        kind, instance = credentials.get(server["name"], (None, None))
        if kind == schema.AMT_PUBLIC_KEY_CERTIFICATE and instance.startswith(CERTIFICATE_ID_PREFIX):
            server["auth"] = ("certificate", instance[len(CERTIFICATE_ID_PREFIX):])
        elif kind == schema.AMT_MPS_USERNAME_PASSWORD:
            server["auth"] = ("password", usernames.get(instance))


def _trusted_roots(client):
    # TrustedRootCertficate is spelt as AMT spells it.
    return [base64.b64decode(certificate.get("X509Certificate") or "") for certificate in client.enumerate(schema.AMT_PUBLIC_KEY_CERTIFICATE)
            if schema.as_bool(certificate.get("TrustedRootCertficate"))]


# --- planning --------------------------------------------------------------------------------------------------


def _server_view(server):
    return {"address": server["address"], "port": server["port"], "cn": server.get("cn") or None}


def _wanted_authentication(server):
    if server.get("certificate") is not None:
        return ("certificate", str(server["certificate"]))
    if server.get("username") is not None:
        return ("password", server["username"])
    return None


def _same_server(existing, wanted):
    """Same address, port and CN, and the same authentication where both the task and the read say which."""
    authentication, stored = _wanted_authentication(wanted), existing.get("auth")
    return _server_view(existing) == dict(_server_view(wanted), address=existing["address"]) \
        and existing["address"].lower() == wanted["address"].lower() \
        and (authentication is None or stored is None or authentication == stored)


def _policy_compare(policy):
    return (policy["trigger"], [address.lower() for address in policy["servers"]], policy["tunnel_lifetime"],
            policy["interval"], policy["daily_at"])


def _writes_credential(server):
    return server.get("password") is not None or server.get("certificate") is not None


def _server_plan(state, want):
    """(servers removed, servers added): a changed server is both."""
    current = dict((server["address"].lower(), server) for server in state["servers"])
    listed = set(server["address"].lower() for server in want["servers"])
    removed, added = [], []
    for index, server in enumerate(want["servers"]):
        existing = current.get(server["address"].lower())
        if server["state"] == "absent":
            if existing is not None:
                removed.append(existing)
            continue
        rewrite = want["update_password"] == "always" and _writes_credential(server)
        if existing is not None and _same_server(existing, server) and not rewrite:
            continue
        prefix = "servers[%d]." % index
        if server.get("certificate") is None and server.get("password") in (None, SECRET_MASK, SECRET_WRITTEN_MASK):
            what = "the mask results show in place of the password" if server.get("password") else "no username and password"
            refuse(prefix + "password", "server %s must be %s, and AMT needs its username and password (or certificate) to add it;"
                   " this task gives %s" % (server["address"], "added" if existing is None else "removed and added again", what))
        if existing is not None:
            removed.append(existing)
        added.append(server)
    if want["purge"]:
        removed.extend(server for key, server in sorted(current.items()) if key not in listed)
    return removed, added


def plan(state, want):
    removed, added = _server_plan(state, want)
    removed_names = set(server["address"].lower() for server in removed)
    final_servers = set(server["address"].lower() for server in state["servers"]) - removed_names
    final_servers |= set(server["address"].lower() for server in added)
    current_policies = state["policies"] or {}
    wanted_policies = None if want["policies"] is None else dict((policy["trigger"], policy) for policy in want["policies"])
    policy_removed, policy_added = [], []
    for trigger, policy in sorted(current_policies.items(), key=lambda item: str(item[0])):
        touches_removed = any(address.lower() in removed_names for address in policy["servers"])
        if wanted_policies is None:
            if touches_removed:
                policy_removed.append(policy)
                # The servers re-added keep the policy; servers removed for good leave it.
                kept = [address for address in policy["servers"] if address.lower() in final_servers]
                if kept:
                    policy_added.append(dict(policy, servers=kept))
            continue
        wanted = wanted_policies.get(trigger)
        if wanted is None:
            policy_removed.append(policy)
        elif touches_removed or _policy_compare(policy) != _policy_compare(wanted):
            policy_removed.append(policy)
            policy_added.append(wanted)
    if wanted_policies is not None:
        policy_added.extend(policy for trigger, policy in wanted_policies.items() if trigger not in current_policies)
    for index, policy in enumerate(want["policies"] or []):
        missing = [address for address in policy["servers"] if address.lower() not in final_servers]
        if missing:
            refuse("policies[%d].servers" % index, "%s is not among the device's servers after this task" % ", ".join(missing))
    changes = [{"action": "remove_policy", "policy": policy} for policy in policy_removed]
    changes += [{"action": "remove_server", "server": server} for server in removed]
    if want["mps_root_certificate"] is not None and not state["mps_root_certificate"]:
        changes.append({"action": "add_root", "der": want["mps_root_certificate"]})
    changes += [{"action": "add_server", "server": server} for server in added]
    changes += [{"action": "add_policy", "policy": policy}
                for policy in sorted(policy_added, key=lambda policy: TRIGGERS.get(policy["trigger"], 99))]
    changes += _mps_type_changes(current_policies, wanted_policies, policy_removed, policy_added)
    if want["user_initiated"] is not None and state["user_initiated"] != want["user_initiated"]:
        changes.append({"action": "user_initiated", "state": want["user_initiated"]})
    return changes


def _mps_type_changes(current_policies, wanted_policies, policy_removed, policy_added):
    """Bindings whose MPS type must change. AddRemoteAccessPolicyRule binds its servers as external, so an added policy
    needs one for each server of another type; a kept policy needs one for each server whose type differs from the task's.
    A policy added again only because its servers changed keeps the types it had."""
    added = dict((policy["trigger"], policy) for policy in policy_added)
    removed = set(policy["trigger"] for policy in policy_removed)
    changes = []
    for trigger in sorted(set(added) | (set(current_policies) - removed), key=lambda trigger: TRIGGERS.get(trigger, 99)):
        if trigger in added:
            policy, types_now = added[trigger], {}
        elif wanted_policies is not None and trigger in wanted_policies:
            policy, types_now = dict(current_policies[trigger], mps_type=wanted_policies[trigger]["mps_type"]), current_policies[trigger]["mps_types"]
        else:
            continue
        for address in policy["servers"]:
            wanted = policy["mps_type"] if "mps_type" in policy else policy["mps_types"].get(address.lower(), DEFAULT_MPS_TYPE)
            if types_now.get(address.lower(), DEFAULT_MPS_TYPE) != wanted:
                changes.append({"action": "mps_type", "trigger": trigger, "server": address, "mps_type": wanted})
    return changes


def preflight(state, changes, want):
    """A firmware that reports no MpsType (AMT before 11.6) is not asked to set one."""
    untyped = [address for policy in (state["policies"] or {}).values() for address in policy["untyped"]]
    retyped = [change for change in changes if change["action"] == "mps_type"]
    if untyped and retyped:
        triggers = [policy["trigger"] for policy in want["policies"] or []]
        trigger = retyped[0]["trigger"]
        option = "policies[%d].mps_type" % triggers.index(trigger) if trigger in triggers else "policies"
        raise NotPermittedError("%s: this firmware reports no MpsType for its policies' servers (AMT before 11.6): they are "
                                "all external, which is the only type it can be given" % option,
                                class_name=schema.AMT_REMOTE_ACCESS_POLICY_APPLIES_TO_MPS)


def summary(change):
    action = change["action"]
    if action == "mps_type":
        return "set the %s policy's MPS %s to %s" % (change["trigger"], change["server"], change["mps_type"])
    if action == "user_initiated":
        return "set user-initiated connections %s" % change["state"]
    if action == "add_root":
        return "add the MPS root certificate as a trusted root"
    if action in ("remove_server", "add_server"):
        server = change["server"]
        return "%s MPS %s:%s" % (action.split("_")[0], server["address"], server["port"])
    policy = change["policy"]
    return "%s %s policy (%s)" % (action.split("_")[0], policy["trigger"], ", ".join(policy["servers"]))


# --- describing ------------------------------------------------------------------------------------------------


def _describe_server(server):
    view = _server_view(server)
    kind, detail = server.get("auth") or (None, None)
    if kind == "certificate":
        view["certificate"] = detail
    elif kind == "password":
        view.update(username=detail, password=SECRET_MASK)
    if server.get("written"):
        if server.get("certificate") is not None:
            view["certificate"] = server["certificate"]
        else:
            view.update(username=server.get("username"), password=SECRET_WRITTEN_MASK)
    return view


def _describe_policy(policy):
    described = dict((key, policy[key]) for key in ("trigger", "servers", "tunnel_lifetime", "interval", "daily_at"))
    # AMT types each binding; the policy shows its first server's type (amt_cira sets one type for all of them).
    types = policy.get("mps_types")
    described["mps_type"] = types.get(policy["servers"][0].lower(), DEFAULT_MPS_TYPE) if types and policy["servers"] \
        else policy.get("mps_type", DEFAULT_MPS_TYPE)
    return described


def describe(state):
    result = {"servers": [_describe_server(server) for server in state["servers"]]}
    if state["policies"] is not None:
        result["policies"] = [_describe_policy(policy) for _trigger, policy in
                              sorted(state["policies"].items(), key=lambda item: TRIGGERS.get(item[0], 99))]
    if state["user_initiated"] is not None:
        result["user_initiated"] = state["user_initiated"]
    if state["mps_root_certificate"] is not None:
        result["mps_root_certificate_trusted"] = state["mps_root_certificate"]
    return result


def after_state(state, changes):
    servers = list(state["servers"])
    policies = None if state["policies"] is None else dict(state["policies"])
    after = dict(state)
    for change in changes:
        action = change["action"]
        if action == "remove_server":
            servers = [server for server in servers if server["address"].lower() != change["server"]["address"].lower()]
        elif action == "add_server":
            servers.append(dict(change["server"], written=True))
        elif action == "remove_policy":
            policies.pop(change["policy"]["trigger"], None)
        elif action == "add_policy":
            policy = change["policy"]
            policies[policy["trigger"]] = dict(policy, mps_types=dict((address.lower(), DEFAULT_MPS_TYPE) for address in policy["servers"]))
        elif action == "mps_type":
            policy = policies[change["trigger"]]
            policies[change["trigger"]] = dict(policy, mps_types=dict(policy["mps_types"], **{change["server"].lower(): change["mps_type"]}))
        elif action == "add_root":
            after["mps_root_certificate"] = True
        else:
            after["user_initiated"] = change["state"]
    after.update(servers=servers, policies=policies)
    return after


# --- sending ---------------------------------------------------------------------------------------------------


def _invoke(client, method, inputs, subject):
    outputs = client.invoke(schema.AMT_REMOTE_ACCESS_SERVICE, method, inputs, check=False)
    code = outputs["ReturnValue"]
    if code != 0:
        name = schema.return_code_name(schema.AMT_REMOTE_ACCESS_SERVICE, method, code)
        advice = _METHOD_ADVICE.get(code, "the device did not accept it")
        error_class = {"not_permitted": NotPermittedError, "invalid_input": InvalidInputError}.get(schema.error_kind_for(name), DeviceError)
        raise error_class("%s.%s returned %d (%s) for %s: %s" % (
            schema.AMT_REMOTE_ACCESS_SERVICE, method, code, name, subject, advice),
            class_name=schema.AMT_REMOTE_ACCESS_SERVICE, method=method, return_value=code, return_name=name)
    return outputs


def _add_server_inputs(server):
    inputs = [("AccessInfo", server["address"]), ("InfoFormat", info_format(server["address"])), ("Port", server["port"])]
    if server.get("certificate") is not None:
        inputs += [("AuthMethod", AUTH_MUTUAL),
                   ("Certificate", epr(schema.AMT_PUBLIC_KEY_CERTIFICATE, {"InstanceID": CERTIFICATE_ID_PREFIX + str(server["certificate"])}))]
    else:
        inputs += [("AuthMethod", AUTH_PASSWORD), ("Username", server["username"]), ("Password", server["password"])]
    if server.get("cn"):
        inputs.append(("CN", server["cn"]))
    return inputs


def _server_reference(client, address):
    for sap in client.enumerate(schema.AMT_MANAGEMENT_PRESENCE_REMOTE_SAP):
        if (sap.get("AccessInfo") or "").lower() == address.lower():
            server = _server_from_device(sap)
            return epr(schema.AMT_MANAGEMENT_PRESENCE_REMOTE_SAP, server["selectors"])
    raise InvalidInputError("policies: server %s is not on the device" % address)


def _put_mps_type(client, change):
    server = _server_reference(client, change["server"])
    rule = next((rule for rule in client.enumerate(schema.AMT_REMOTE_ACCESS_POLICY_RULE)
                 if schema.as_int(rule.get("Trigger")) == TRIGGERS[change["trigger"]]), None)
    if rule is None:
        raise InvalidInputError("policies: the %s policy is not on the device" % change["trigger"])
    policy = epr(schema.AMT_REMOTE_ACCESS_POLICY_RULE, dict((key, rule.get(key)) for key in (
        "CreationClassName", "PolicyRuleName", "SystemCreationClassName", "SystemName")))
    order = 0
    for binding in client.enumerate(schema.AMT_REMOTE_ACCESS_POLICY_APPLIES_TO_MPS):
        if ((binding.get("PolicySet") or {}).get("selectors") or {}).get("PolicyRuleName") == rule.get("PolicyRuleName") and \
                ((binding.get("ManagedElement") or {}).get("selectors") or {}).get("Name") == server["selectors"]["Name"]:
            order = schema.as_int(binding.get("OrderOfAccess")) or 0
    # The order of the properties and the two references as selectors are those of go-wsman-messages' Put.
    binding = {"ManagedElement": server, "OrderOfAccess": order, "MpsType": MPS_TYPES[change["mps_type"]], "PolicySet": policy}
    client.put(schema.AMT_REMOTE_ACCESS_POLICY_APPLIES_TO_MPS, binding, selectors={"ManagedElement": server, "PolicySet": policy})


def send(client, state, change):
    action = change["action"]
    if action == "remove_policy":
        client.delete(schema.AMT_REMOTE_ACCESS_POLICY_RULE, change["policy"]["selectors"])
    elif action == "remove_server":
        client.delete(schema.AMT_MANAGEMENT_PRESENCE_REMOTE_SAP, change["server"]["selectors"])
    elif action == "add_server":
        _invoke(client, "AddMpServer", _add_server_inputs(change["server"]), "MPS %s" % change["server"]["address"])
    elif action == "add_policy":
        policy = change["policy"]
        data = periodic_data(policy) if policy["trigger"] == "periodic" else None
        inputs = [("Trigger", TRIGGERS[policy["trigger"]]), ("TunnelLifeTime", policy["tunnel_lifetime"]), ("ExtendedData", data)]
        inputs += [("MpServer", _server_reference(client, address)) for address in policy["servers"]]
        _invoke(client, "AddRemoteAccessPolicyRule", inputs, "the %s policy" % policy["trigger"])
    elif action == "mps_type":
        _put_mps_type(client, change)
    elif action == "add_root":
        client.invoke(schema.AMT_PUBLIC_KEY_MANAGEMENT_SERVICE, "AddTrustedRootCertificate",
                      [("CertificateBlob", base64.b64encode(change["der"]).decode("ascii"))])
    else:
        client.invoke(schema.AMT_USER_INITIATED_CONNECTION_SERVICE, "RequestStateChange",
                      [("RequestedState", USER_INITIATED[change["state"]])])


def landed(client, change, want):
    reads_service = change["action"] == "user_initiated"
    state = read(client, dict(want, user_initiated=want["user_initiated"] if reads_service else None, mps_root_certificate=None))
    action = change["action"]
    if action == "user_initiated":
        return state["user_initiated"] == change["state"]
    if action == "add_root":
        return change["der"] in _trusted_roots(client)
    if action in ("remove_server", "add_server"):
        found = [server for server in state["servers"] if server["address"].lower() == change["server"]["address"].lower()]
        if action == "remove_server":
            return not found
        return bool(found) and _same_server(found[0], change["server"])
    if action == "mps_type":
        stored = state["policies"].get(change["trigger"])
        address = change["server"].lower()
        return stored is not None and stored["mps_types"].get(address) == change["mps_type"] and \
            address not in [untyped.lower() for untyped in stored["untyped"]]
    stored = state["policies"].get(change["policy"]["trigger"])
    if action == "remove_policy":
        return stored is None
    return stored is not None and _policy_compare(stored) == _policy_compare(change["policy"])


class Cira(Unit):
    """MPS servers, remote-access policies and user-initiated CIRA (module amt_cira). Built with options=None it reads
    them all, as amt_info reports them."""

    name = "cira"

    def __init__(self, options=None):
        self.want = None if options is None else validate(options)

    def read(self, client):
        return read(client, self.want)

    def describe(self, state):
        return describe(state)

    def plan(self, state):
        return plan(state, self.want)

    def after(self, state, changes):
        return after_state(state, changes)

    def preflight(self, client, state, changes):
        preflight(state, changes, self.want)

    def summary(self, change):
        return summary(change)

    def send(self, client, state, change):
        send(client, state, change)

    def landed(self, client, change):
        return landed(client, change, self.want)
