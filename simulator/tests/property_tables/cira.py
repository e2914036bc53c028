"""Properties of the CIRA classes as Intel's models list them (required in every instance, optional where firmware
omits them in some states). Write-only properties (the MPS password, AMT_MPSUsernamePassword.Secret) are left out:
an instance that carries one fails the comparison."""

_GWM = "device-management-toolkit/go-wsman-messages:"
_SYSTEM = ["CreationClassName", "ElementName", "Name", "SystemCreationClassName", "SystemName"]

TABLE = {
    "AMT_RemoteAccessService": {
        "source": _GWM + "pkg/wsman/amt/remoteaccess/types.go",
        "properties": _SYSTEM,
        "optional": ["IsRemoteTunnelConnected", "RemoteTunnelKeepAliveTimeout"],  # CSME 17 and later
    },
    "AMT_RemoteAccessCapabilities": {
        "source": _GWM + "pkg/wsman/amt/remoteaccess/types.go",
        "properties": ["ElementName", "InstanceID", "MaxMpsPerPolicy", "MaxTotalMpServers", "MaxTotalPolicies",
                       "MaxTotalProxyEntryPoints"],
        "optional": ["LastRemoteAccessTrigger"],
    },
    "AMT_ManagementPresenceRemoteSAP": {
        "source": _GWM + "pkg/wsman/amt/managementpresence/types.go",
        "properties": ["AccessInfo", "InfoFormat", "Port"] + _SYSTEM,
        "optional": ["CN"],  # only where AddMpServer was given one
    },
    "AMT_RemoteAccessPolicyRule": {
        "source": _GWM + "pkg/wsman/amt/remoteaccess/types.go",
        "properties": ["CreationClassName", "ElementName", "PolicyRuleName", "SystemCreationClassName", "SystemName",
                       "Trigger", "TunnelLifeTime"],
        "optional": ["ExtendedData"],  # none for a user-initiated policy added without data
    },
    "AMT_RemoteAccessPolicyAppliesToMPS": {
        "source": _GWM + "pkg/wsman/amt/remoteaccess/types.go",
        "properties": ["ManagedElement", "OrderOfAccess", "PolicySet"],
        "optional": ["MpsType"],  # from AMT 11.6 on
    },
    "AMT_MPSUsernamePassword": {
        "source": _GWM + "pkg/wsman/amt/mps/types.go",
        "properties": ["InstanceID", "RemoteID"],
        "optional": ["Algorithm", "Protocol"],
    },
    "AMT_RemoteAccessCredentialContext": {
        "source": _GWM + "pkg/wsman/cim/credential/types.go",  # the CIM_CredentialContext shape MeshCentral reads
        "properties": ["ElementInContext", "ElementProvidingContext"],
        "optional": [],
    },
    "IPS_HTTPProxyService": {
        "source": _GWM + "pkg/wsman/ips/http/proxyservice.go",
        "properties": _SYSTEM + ["SyncEnabled"],
        "optional": [],
    },
    "IPS_HTTPProxyAccessPoint": {
        "source": _GWM + "pkg/wsman/ips/http/proxyaccesspoint.go",
        "properties": ["AccessInfo", "InfoFormat", "Port"] + _SYSTEM,
        "optional": ["NetworkDnsSuffix"],  # only where one was given
    },
    "AMT_UserInitiatedConnectionService": {
        "source": _GWM + "pkg/wsman/amt/userinitiatedconnection/types.go",
        "properties": _SYSTEM + ["EnabledState"],
        "optional": ["LastConnectionReason"],  # in one of Intel's two captures
    },
}
