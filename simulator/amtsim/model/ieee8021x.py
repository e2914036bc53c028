"""Wired 802.1X: AMT_8021XProfile (one profile, disabled at the factory) and AMT_8021xCredentialContext, which
ties the profile to its client certificate and trusted root.

The factory instance and the Put answer follow Intel's captures (go-wsman-messages wsmantesting/responses/amt/
ieee8021x). Password and PACPassword are write-only: checked, never kept.
"""
from __future__ import annotations

from amtsim.model.component import Component, prop_bool, prop_int, prop_text
from amtsim.model.tls import certificate_epr, certificate_handle
from amtsim.types import EPR, Instance, WsmanFault, class_uri

PROFILE_ID = "Intel(r) AMT 802.1x Profile 0"
TLS, TTLS_MSCHAPV2, PEAP_MSCHAPV2, EAP_GTC, EAPFAST_MSCHAPV2, EAPFAST_GTC, EAPFAST_TLS = range(7)
CERTIFICATE_PROTOCOLS = (TLS, EAPFAST_TLS)
MAX_PXE_TIMEOUT = 86400
_TEXT_LIMITS = {"RoamingIdentity": 80, "ServerCertificateName": 80, "Username": 128, "Domain": 128}


class Ieee8021x(Component):
    INSTANCES = {"AMT_8021XProfile": "_profile_instances", "AMT_8021xCredentialContext": "_context_instances"}
    PUTS = {"AMT_8021XProfile": "_put_profile"}
    STATE_FIELDS = ("profile",)

    def reset(self) -> None:
        # Enabled/ActiveInS0/PxeTimeout always; the rest only while enabled. Certificates are store handles.
        self.profile = {"Enabled": False, "ActiveInS0": True, "PxeTimeout": 0}

    def uses_certificate(self, handle: str) -> bool:
        return handle in (self.profile.get("client_certificate"), self.profile.get("root_certificate"))

    def _profile_instances(self, caller) -> list:
        props = {name: value for name, value in self.profile.items() if not name.endswith("_certificate")}
        props.update(ElementName="Intel(r) AMT 802.1x Profile", InstanceID=PROFILE_ID)
        if self.profile.get("client_certificate") is not None:
            props["ClientCertificate"] = certificate_epr(self.profile["client_certificate"])
        if self.profile.get("root_certificate") is not None:
            props["ServerCertificateIssue"] = certificate_epr(self.profile["root_certificate"])
        return [Instance("AMT_8021XProfile", props)]

    def _context_instances(self, caller) -> list:
        profile = EPR(class_uri("AMT_8021XProfile"), (("InstanceID", PROFILE_ID),))
        return [Instance("AMT_8021xCredentialContext", {"ElementInContext": certificate_epr(handle),
                                                        "ElementProvidingContext": profile})
                for handle in (self.profile.get("client_certificate"), self.profile.get("root_certificate"))
                if handle is not None]

    def _certificate(self, new: Instance, name: str, root: bool) -> str | None:
        reference = new.props.get(name)
        if reference is None or reference == "":
            return None
        handle = certificate_handle(reference)
        entry = self.device.tls.certificates.get(handle)
        if entry is None or entry["root"] != root or (not root and entry["key"] is None):
            raise WsmanFault("InvalidParameter", f"{name} must name a {'trusted root' if root else 'certificate with its key'}.")
        return handle

    def _put_profile(self, current, new, caller) -> None:
        enabled = prop_bool(new, "Enabled")
        if enabled is None:
            raise WsmanFault("InvalidRepresentation", "Enabled is required")
        active, pxe = prop_bool(new, "ActiveInS0", True), prop_int(new, "PxeTimeout", 0)
        if not 0 <= pxe <= MAX_PXE_TIMEOUT:
            raise WsmanFault("InvalidParameter", "PxeTimeout is 0 to 86400 seconds")
        profile = {"Enabled": enabled, "ActiveInS0": active, "PxeTimeout": pxe}
        if enabled:
            profile.update(self._enabled_settings(new))
        self.profile = profile
        self.changed()

    def _enabled_settings(self, new: Instance) -> dict:
        protocol = prop_int(new, "AuthenticationProtocol")
        comparison = prop_int(new, "ServerCertificateNameComparison")
        if protocol is None or not TLS <= protocol <= EAPFAST_TLS or comparison not in (None, 0, 1):
            raise WsmanFault("InvalidParameter", "AuthenticationProtocol is 0-6, ServerCertificateNameComparison 0 or 1")
        texts = {name: prop_text(new, name) or None for name in _TEXT_LIMITS}
        if any(value is not None and len(value) > _TEXT_LIMITS[name] for name, value in texts.items()):
            raise WsmanFault("InvalidParameter", "a name is too long")
        client = self._certificate(new, "ClientCertificate", root=False)
        if protocol in CERTIFICATE_PROTOCOLS and client is None:
            raise WsmanFault("InvalidParameter", "EAP-TLS needs ClientCertificate")
        if protocol not in CERTIFICATE_PROTOCOLS and not (texts["Username"] and prop_text(new, "Password")):
            raise WsmanFault("InvalidParameter", "this protocol needs Username and Password")
        settings = {"AuthenticationProtocol": protocol, "ServerCertificateNameComparison": comparison,
                    "client_certificate": client, "root_certificate": self._certificate(new, "ServerCertificateIssue", root=True)}
        settings.update(texts)
        return {name: value for name, value in settings.items() if value is not None}
