"""Wired 802.1X: the one profile of the wired port, seen through two pairs of classes that share its state.

AMT view: AMT_8021XProfile (disabled at the factory) and AMT_8021xCredentialContext, which ties it to its client
certificate and trusted root. IPS view: IPS_IEEE8021xSettings, the interface rpc-go and RPS configure (Put, then
SetCertificates), and IPS_8021xCredentialContext, empty until certificates are set. That both views show the same
profile is our reading (the firmware has one wired port), UNCONFIRMED by a capture.

The factory instance and the Put answer follow Intel's captures (go-wsman-messages wsmantesting/responses/amt/
ieee8021x and ips/ieee8021x); the IPS enumerations, defaults and return codes come from pkg/wsman/ips/ieee8021x and
the IPS_IEEE8021xSettings MOF comments in intel/lms. Password and PACPassword are write-only: checked, never kept.
"""
from __future__ import annotations

from amtsim.model.codes import INTERNAL_ERROR, SUCCESS
from amtsim.model.component import Component, prop_bool, prop_int, prop_text, result
from amtsim.model.tls import certificate_epr, certificate_handle
from amtsim.types import EPR, Instance, WsmanFault, class_uri

PROFILE_ID = "Intel(r) AMT 802.1x Profile 0"
SETTINGS_ID = "Intel(r) AMT: 8021X Settings"
TLS, TTLS_MSCHAPV2, PEAP_MSCHAPV2, EAP_GTC, EAPFAST_MSCHAPV2, EAPFAST_GTC, EAPFAST_TLS = range(7)
CERTIFICATE_PROTOCOLS = (TLS, EAPFAST_TLS)
MAX_PXE_TIMEOUT = 86400
IPS_DEFAULT_PXE_TIMEOUT = 120  # what the IPS MOF says firmware sets when a Put omits PxeTimeout
ENABLED_WITH_CERTIFICATES, DISABLED, ENABLED_WITHOUT_CERTIFICATES = 2, 3, 6
# The IPS class counts protocols the CIM way: 0-5 as AMT, 6-9 (EAP-MD5, -PSK, -SIM, -AKA) unknown to AMT, 10 EAP-FAST/TLS.
_AMT_PROTOCOL_OF_CIM = {**{number: number for number in range(TLS, EAPFAST_TLS)}, 10: EAPFAST_TLS}
_CIM_PROTOCOL_OF_AMT = {amt: cim for cim, amt in _AMT_PROTOCOL_OF_CIM.items()}
# Server name comparison: AMT FullName 0 / DomainSuffix 1, CIM FullName 2 / DomainSuffix 3 (CIM Other 1 has no AMT twin).
_AMT_COMPARISON_OF_CIM = {None: None, 2: 0, 3: 1}
_CIM_COMPARISON_OF_AMT = {0: 2, 1: 3}
_TEXT_LIMITS = {"RoamingIdentity": 80, "ServerCertificateName": 80, "Username": 128, "Domain": 128}
_CERTIFICATE_KEYS = ("client_certificate", "root_certificate")


class Ieee8021x(Component):
    INSTANCES = {"AMT_8021XProfile": "_profile_instances", "AMT_8021xCredentialContext": "_context_instances",
                 "IPS_IEEE8021xSettings": "_settings_instances", "IPS_8021xCredentialContext": "_ips_context_instances"}
    PUTS = {"AMT_8021XProfile": "_put_profile", "IPS_IEEE8021xSettings": "_put_settings"}
    METHODS = {("IPS_IEEE8021xSettings", "SetCertificates"): "_set_certificates"}
    STATE_FIELDS = ("profile", "ips_enabled")

    def reset(self) -> None:
        # Enabled/ActiveInS0/PxeTimeout always; the rest only while enabled. Certificates are store handles.
        self.profile = {"Enabled": False, "ActiveInS0": True, "PxeTimeout": 0}
        self.ips_enabled = DISABLED  # the IPS Enabled value last written (2 and 6 both mean enabled)

    def uses_certificate(self, handle: str) -> bool:
        return handle in self._certificates()

    def _certificates(self) -> list:
        return [self.profile[key] for key in _CERTIFICATE_KEYS if self.profile.get(key) is not None]

    # --- AMT view -----------------------------------------------------------------------------------------
    def _profile_instances(self, caller) -> list:
        props = {name: value for name, value in self.profile.items() if name not in _CERTIFICATE_KEYS}
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
                for handle in self._certificates()]

    def _put_profile(self, current, new, caller) -> None:
        enabled = prop_bool(new, "Enabled")
        if enabled is None:
            raise WsmanFault("InvalidRepresentation", "Enabled is required")
        settings = {}
        if enabled:
            protocol, comparison = prop_int(new, "AuthenticationProtocol"), prop_int(new, "ServerCertificateNameComparison")
            if protocol is None or not TLS <= protocol <= EAPFAST_TLS or comparison not in (None, 0, 1):
                raise WsmanFault("InvalidParameter", "AuthenticationProtocol is 0-6, ServerCertificateNameComparison 0 or 1")
            client = self._required_certificate(new.props.get("ClientCertificate"), "ClientCertificate", root=False)
            if protocol in CERTIFICATE_PROTOCOLS and client is None:
                raise WsmanFault("InvalidParameter", "EAP-TLS needs ClientCertificate")
            settings = self._enabled_settings(new, protocol, comparison)
            settings.update(client_certificate=client, root_certificate=self._required_certificate(
                new.props.get("ServerCertificateIssue"), "ServerCertificateIssue", root=True))
        with_certificates = settings.get("client_certificate") is not None or settings.get("root_certificate") is not None
        # Which IPS Enabled value an AMT Put shows is our choice, UNCONFIRMED: 2 when certificates came with it.
        state = DISABLED if not enabled else ENABLED_WITH_CERTIFICATES if with_certificates else ENABLED_WITHOUT_CERTIFICATES
        self._store(prop_bool(new, "ActiveInS0", True), prop_int(new, "PxeTimeout", 0), settings, state)

    # --- IPS view -----------------------------------------------------------------------------------------
    def _settings_instances(self, caller) -> list:
        profile = self.profile
        props = {"ElementName": SETTINGS_ID, "InstanceID": SETTINGS_ID, "Enabled": self.ips_enabled,
                 "AvailableInS0": profile["ActiveInS0"], "PxeTimeout": profile["PxeTimeout"]}
        props.update({name: profile[name] for name in _TEXT_LIMITS if name in profile})
        if "AuthenticationProtocol" in profile:
            props["AuthenticationProtocol"] = _CIM_PROTOCOL_OF_AMT[profile["AuthenticationProtocol"]]
        if "ServerCertificateNameComparison" in profile:
            props["ServerCertificateNameComparison"] = _CIM_COMPARISON_OF_AMT[profile["ServerCertificateNameComparison"]]
        return [Instance("IPS_IEEE8021xSettings", props)]

    def _ips_context_instances(self, caller) -> list:
        settings = EPR(class_uri("IPS_IEEE8021xSettings"), (("InstanceID", SETTINGS_ID),))
        return [Instance("IPS_8021xCredentialContext", {"ElementInContext": certificate_epr(handle),
                                                        "ElementProvidingContext": settings})
                for handle in self._certificates()]

    def _put_settings(self, current, new, caller) -> None:
        """ElementName and InstanceID are fixed (a written ElementName is ignored, our choice); certificates change only
        through SetCertificates, so an enabling Put keeps those already set and disabling releases them."""
        state = prop_int(new, "Enabled")
        if state is None:
            raise WsmanFault("InvalidRepresentation", "Enabled is required")
        if state not in (ENABLED_WITH_CERTIFICATES, DISABLED, ENABLED_WITHOUT_CERTIFICATES):
            raise WsmanFault("InvalidParameter", "Enabled is 2, 3 or 6")
        settings = {}
        if state != DISABLED:
            protocol = _AMT_PROTOCOL_OF_CIM.get(prop_int(new, "AuthenticationProtocol"))
            comparison = prop_int(new, "ServerCertificateNameComparison")
            if protocol is None or comparison not in _AMT_COMPARISON_OF_CIM:
                raise WsmanFault("InvalidParameter", "AuthenticationProtocol is 0-5 or 10, ServerCertificateNameComparison 2 or 3")
            settings = self._enabled_settings(new, protocol, _AMT_COMPARISON_OF_CIM[comparison])
            settings.update({key: self.profile.get(key) for key in _CERTIFICATE_KEYS})
        self._store(prop_bool(new, "AvailableInS0", True), prop_int(new, "PxeTimeout", IPS_DEFAULT_PXE_TIMEOUT), settings, state)

    def _set_certificates(self, instance, inputs, caller):
        """Both references are optional; a disabled profile or a reference to no fitting certificate answers 1
        (the method's only failure code in Intel's model; which failures firmware maps to it is UNCONFIRMED)."""
        client_reference, root_reference = inputs.get("ClientCertificate"), inputs.get("ServerCertificateIssuer")
        if any(reference is not None and not isinstance(reference, EPR) for reference in (client_reference, root_reference)):
            return result(INTERNAL_ERROR)
        client, client_ok = self._certificate(client_reference, root=False)
        root, root_ok = self._certificate(root_reference, root=True)
        if not (self.profile["Enabled"] and client_ok and root_ok):
            return result(INTERNAL_ERROR)
        self.profile.update(client_certificate=client, root_certificate=root)
        self.changed()
        return result(SUCCESS)

    # --- shared rules -------------------------------------------------------------------------------------
    def _store(self, available_in_s0: bool, pxe_timeout: int, settings: dict, ips_enabled: int) -> None:
        if not 0 <= pxe_timeout <= MAX_PXE_TIMEOUT:
            raise WsmanFault("InvalidParameter", "PxeTimeout is 0 to 86400 seconds")
        profile = {"Enabled": ips_enabled != DISABLED, "ActiveInS0": available_in_s0, "PxeTimeout": pxe_timeout}
        profile.update({name: value for name, value in settings.items() if value is not None})
        self.profile, self.ips_enabled = profile, ips_enabled
        self.changed()

    def _enabled_settings(self, new: Instance, protocol: int, comparison: int | None) -> dict:
        """The settings of an enabled profile, protocol and comparison in AMT's numbering; certificates are the caller's."""
        texts = {name: prop_text(new, name) or None for name in _TEXT_LIMITS}
        if any(value is not None and len(value) > _TEXT_LIMITS[name] for name, value in texts.items()):
            raise WsmanFault("InvalidParameter", "a name is too long")
        if protocol not in CERTIFICATE_PROTOCOLS and not (texts["Username"] and prop_text(new, "Password")):
            raise WsmanFault("InvalidParameter", "this protocol needs Username and Password")
        return dict(texts, AuthenticationProtocol=protocol, ServerCertificateNameComparison=comparison)

    def _certificate(self, reference, root: bool) -> tuple:
        """(store handle or None, whether the reference is absent or names a trusted root / a certificate with its key)."""
        if reference is None or reference == "":
            return None, True
        handle = certificate_handle(reference)
        entry = self.device.tls.certificates.get(handle)
        return handle, entry is not None and entry["root"] == root and (root or entry["key"] is not None)

    def _required_certificate(self, reference, name: str, root: bool) -> str | None:
        handle, fits = self._certificate(reference, root)
        if not fits:
            raise WsmanFault("InvalidParameter", f"{name} must name a {'trusted root' if root else 'certificate with its key'}.")
        return handle
