"""Properties of the 802.1X classes as Intel's models list them. Password, PACPassword, PSK and
ProtectedAccessCredential are write-only and left out: an instance that carries one fails the comparison.
IPS_IEEE8021xSettings always answers the five properties of go-wsman-messages' response struct (and of Intel's
capture, wsmantesting/responses/ips/ieee8021x/settings/get.xml); while enabled it also carries the
CIM_IEEE8021xSettings properties it inherits (wsman-messages' IPS model extends the CIM one, and RPS removes
Username and AuthenticationProtocol from a read instance before writing it back)."""

_GWM = "device-management-toolkit/go-wsman-messages:"

TABLE = {
    "AMT_8021XProfile": {
        "source": _GWM + "pkg/wsman/amt/ieee8021x/types.go",
        "properties": ["ActiveInS0", "ElementName", "Enabled", "InstanceID", "PxeTimeout"],
        # only while the profile is enabled, each where it was set
        "optional": ["AuthenticationProtocol", "ClientCertificate", "Domain", "RoamingIdentity", "ServerCertificateIssue",
                     "ServerCertificateName", "ServerCertificateNameComparison", "Username"],
    },
    "AMT_8021xCredentialContext": {
        "source": _GWM + "pkg/wsman/amt/ieee8021x/types.go",
        "properties": ["ElementInContext", "ElementProvidingContext"],
        "optional": [],
    },
    "CIM_IEEE8021xSettings": {
        "source": _GWM + "pkg/wsman/cim/ieee8021x/types.go",
        "properties": ["AuthenticationProtocol", "ElementName", "InstanceID"],
        "optional": ["Domain", "RoamingIdentity", "ServerCertificateName", "ServerCertificateNameComparison", "Username"],
    },
    "IPS_IEEE8021xSettings": {
        "source": _GWM + "pkg/wsman/ips/ieee8021x/types.go",
        "properties": ["AvailableInS0", "ElementName", "Enabled", "InstanceID", "PxeTimeout"],
        # only while enabled, each where it was set
        "optional": ["AuthenticationProtocol", "Domain", "RoamingIdentity", "ServerCertificateName",
                     "ServerCertificateNameComparison", "Username"],
    },
    "IPS_8021xCredentialContext": {
        "source": _GWM + "pkg/wsman/ips/ieee8021x/types.go",
        "properties": ["ElementInContext", "ElementProvidingContext"],
        "optional": [],
    },
}
