"""Properties of the classes amtsim already served before the CIRA, 802.1X and credential classes, as Intel's models
(go-wsman-messages structs, wsman-messages models) and its captures list them. "optional" holds what firmware omits in
some states or generations. Write-only properties (Kerberos Passphrase and MasterKey, Wi-Fi PSKPassPhrase and
PSKValue) are left out, so an instance that carries one fails the comparison; RFBPassword and RSEPassword are listed
because firmware reads them back empty. AMT_ProvisioningCertificateHash is in credentials.py, CIM_IEEE8021xSettings in
ieee8021x.py and AMT_UserInitiatedConnectionService in cira.py."""

_GWM = "device-management-toolkit/go-wsman-messages:"
_TWM = "device-management-toolkit/wsman-messages:"
_SERVICE = ["CreationClassName", "ElementName", "Name", "SystemCreationClassName", "SystemName"]
_STATES = ["EnabledState", "RequestedState"]

TABLE = {
    "AMT_AuditLog": {
        "source": _GWM + "pkg/wsman/amt/auditlog/types.go",
        "properties": ["AuditState", "CurrentNumberOfRecords", "ElementName", "EnabledState", "MaxAllowedAuditors",
                       "MaxNumberOfRecords", "Name", "OverwritePolicy", "PercentageFree", "RequestedState", "StoragePolicy",
                       "TimeOfLastRecord"],
        "optional": ["MinDaysToKeep"],  # only with the "restricted roll-over" storage policy
    },
    "AMT_AuditPolicyRule": {
        "source": "Intel AMT SDK class AMT_AuditPolicyRule (no Go or TypeScript model)",
        "properties": ["AuditApplicationEventID", "CreationClassName", "ElementName", "PolicyRuleName", "PolicyType",
                       "SystemCreationClassName", "SystemName"],
        "optional": [],
    },
    "AMT_AuthorizationService": {
        "source": _GWM + "pkg/wsman/amt/authorization/types.go",
        "properties": ["AllowHttpQopAuthOnly"] + _SERVICE + _STATES,
        "optional": [],
    },
    "AMT_BootSettingData": {
        "source": _GWM + "pkg/wsman/amt/boot/types.go",
        "properties": ["BIOSLastStatus", "BIOSPause", "BIOSSetup", "BootMediaIndex", "BootguardStatus",
                       "ConfigurationDataReset", "ElementName", "EnforceSecureBoot", "FirmwareVerbosity",
                       "ForcedProgressEvents", "IDERBootDevice", "InstanceID", "LockKeyboard", "LockPowerButton",
                       "LockResetButton", "LockSleepButton", "OptionsCleared", "OwningEntity", "ReflashBIOS", "SecureErase",
                       "UseIDER", "UseSOL", "UseSafeMode", "UserPasswordBypass"],
        # UEFI boot options and Remote Platform Erase exist on newer platforms only
        "optional": ["PlatformErase", "RPEEnabled", "RSEPassword", "SecureBootControlEnabled", "UEFIBootParametersArray",
                     "UEFIHTTPSBootEnabled", "UEFILocalPBABootEnabled", "UefiBootNumberOfParams", "WinREBootEnabled"],
    },
    "AMT_EnvironmentDetectionSettingData": {
        "source": _GWM + "pkg/wsman/amt/environmentdetection/types.go",
        "properties": ["DetectionAlgorithm", "ElementName", "InstanceID"],
        "optional": ["DetectionIPv6LocalPrefixes", "DetectionStrings"],  # only where set
    },
    "AMT_EthernetPortSettings": {
        "source": _GWM + "pkg/wsman/amt/ethernetport/types.go",
        "properties": ["DHCPEnabled", "ElementName", "InstanceID", "LinkIsUp", "MACAddress", "PhysicalConnectionType",
                       "SharedMAC"],
        # wired port: IpSyncEnabled, SharedDynamicIP, SharedStaticIp, LinkPolicy, PhysicalNicMedium (15.0 and later),
        # VLANTag (only when tagged), the address fields (static, or acquired by DHCP while the link is up);
        # wireless port: ConsoleTcpMaxRetransmissions, LinkControl, LinkPreference, WLANLinkProtectionLevel
        "optional": ["ConsoleTcpMaxRetransmissions", "DefaultGateway", "IPAddress", "IpSyncEnabled", "LinkControl",
                     "LinkPolicy", "LinkPreference", "PhysicalNicMedium", "PrimaryDNS", "SecondaryDNS", "SharedDynamicIP",
                     "SharedStaticIp", "SubnetMask", "VLANTag", "WLANLinkProtectionLevel"],
    },
    "AMT_GeneralSettings": {
        "source": _GWM + "pkg/wsman/amt/general/types.go",
        "properties": ["AMTNetworkEnabled", "DDNSPeriodicUpdateInterval", "DDNSTTL", "DDNSUpdateByDHCPServerEnabled",
                       "DDNSUpdateEnabled", "DHCPv6ConfigurationTimeout", "DigestRealm", "DomainName", "ElementName",
                       "HostName", "HostOSFQDN", "IdleWakeTimeout", "InstanceID", "NetworkInterfaceEnabled",
                       "PingResponseEnabled", "PowerSource", "PreferredAddressFamily", "PresenceNotificationInterval",
                       "PrivacyLevel", "RmcpPingResponseEnabled", "SharedFQDN", "WsmanOnlyMode"],
        "optional": ["DHCPSyncRequiresHostname", "OemID", "ThunderboltDockEnabled"],  # by generation; OemID "from 16.1" (GWM), yet absent from its captures
    },
    "AMT_KerberosSettingData": {
        "source": _GWM + "pkg/wsman/amt/kerberos/types.go",
        "properties": ["ElementName", "InstanceID", "KrbEnabled", "SupportedEncryptionAlgorithms"],
        # only once a realm is configured (Intel's capture of an unconfigured device has just the four above)
        "optional": ["ConfiguredEncryptionAlgorithms", "EncryptionAlgorithm", "IterationCount", "KeyVersion",
                     "MaximumClockTolerance", "RealmName", "Salt", "ServicePrincipalName", "ServicePrincipalProtocol"],
    },
    "AMT_PublicKeyCertificate": {
        "source": _GWM + "pkg/wsman/amt/publickey/types.go",
        "properties": ["ElementName", "InstanceID", "Issuer", "ReadOnlyCertificate", "Subject", "TrustedRootCertficate",
                       "X509Certificate"],
        "optional": [],
    },
    "AMT_PublicKeyManagementService": {
        "source": _GWM + "pkg/wsman/amt/publickey/types.go",
        "properties": _SERVICE + _STATES + ["EnabledDefault"],
        "optional": ["OperationalStatus"],
    },
    "AMT_PublicPrivateKeyPair": {
        "source": _GWM + "pkg/wsman/amt/publicprivate/types.go",
        "properties": ["DERKey", "ElementName", "InstanceID"],
        "optional": [],
    },
    "AMT_RedirectionService": {
        "source": _GWM + "pkg/wsman/amt/redirection/types.go",
        "properties": _SERVICE + ["EnabledState", "ListenerEnabled"],
        "optional": ["AccessLog", "RequestedState"],
    },
    "AMT_SetupAndConfigurationService": {
        "source": _GWM + "pkg/wsman/amt/setupandconfiguration/types.go",
        "properties": _SERVICE + _STATES + ["PasswordModel", "ProvisioningMode", "ProvisioningServerOTP",
                                            "ProvisioningState", "ZeroTouchConfigurationEnabled"],
        "optional": ["ConfigurationServerFQDN", "DhcpDNSSuffix", "TrustedDNSSuffix"],  # only where known
    },
    "AMT_TLSCredentialContext": {
        "source": _GWM + "pkg/wsman/amt/tls/types.go",
        "properties": ["ElementInContext", "ElementProvidingContext"],
        "optional": [],
    },
    "AMT_TLSProtocolEndpointCollection": {
        "source": _GWM + "pkg/wsman/amt/tls/types.go",
        "properties": ["ElementName"],
        "optional": [],
    },
    "AMT_TLSSettingData": {
        "source": _GWM + "pkg/wsman/amt/tls/types.go",
        "properties": ["AcceptNonSecureConnections", "ElementName", "Enabled", "InstanceID", "MutualAuthentication"],
        "optional": ["NonSecureConnectionsSupported", "TrustedCN"],  # CSME 16.1 and later; only where set
    },
    "AMT_TimeSynchronizationService": {
        "source": _GWM + "pkg/wsman/amt/timesynchronization/types.go",
        "properties": _SERVICE + _STATES + ["LocalTimeSyncEnabled", "TimeSource"],
        "optional": [],
    },
    "AMT_WebUIService": {
        "source": _GWM + "pkg/wsman/cim/models/types.go (CIM_Service: the shape AMT_WebUIService inherits)",
        "properties": _SERVICE + _STATES,
        "optional": [],
    },
    "AMT_WiFiPortConfigurationService": {
        "source": _GWM + "pkg/wsman/amt/wifiportconfiguration/types.go",
        "properties": _SERVICE + _STATES + ["HealthState", "LastConnectedSsidUnderMeControl", "NoHostCsmeSoftwarePolicy",
                                            "localProfileSynchronizationEnabled"],
        "optional": ["UEFIWiFiProfileShareEnabled"],  # CSME 16 and later
    },
    "CIM_AssociatedPowerManagementService": {
        "source": _GWM + "pkg/wsman/cim/associatedpower/types.go",
        "properties": ["AvailableRequestedPowerStates", "PowerState", "ServiceProvided", "UserOfService"],
        "optional": ["OtherPowerState", "OtherRequestedPowerState", "PowerOnTime", "RequestedPowerState",
                     "TransitioningToPowerState"],
    },
    "CIM_BootConfigSetting": {
        "source": _GWM + "pkg/wsman/cim/boot/types.go",
        "properties": ["ElementName", "InstanceID"],
        "optional": [],
    },
    "CIM_BootService": {
        "source": _GWM + "pkg/wsman/cim/boot/types.go",
        "properties": _SERVICE + _STATES + ["OperationalStatus"],
        "optional": [],
    },
    "CIM_BootSourceSetting": {
        "source": _GWM + "pkg/wsman/cim/boot/types.go",
        "properties": ["ElementName", "FailThroughSupported", "InstanceID", "StructuredBootString"],
        "optional": ["BIOSBootString", "BootString"],
    },
    "CIM_ComputerSystem": {
        "source": _TWM + "src/cim/models.ts (ComputerSystem, EnabledLogicalElement, ManagedSystemElement)",
        "properties": ["CreationClassName", "ElementName", "EnabledState", "HealthState", "Name", "OperationalStatus",
                       "RequestedState"],
        "optional": ["Dedicated", "IdentifyingDescriptions", "NameFormat", "OtherIdentifyingInfo"],
    },
    "CIM_KVMRedirectionSAP": {
        "source": _GWM + "pkg/wsman/cim/kvm/types.go",
        "properties": _SERVICE + _STATES + ["KVMProtocol"],
        "optional": [],
    },
    "CIM_PowerManagementService": {
        "source": _GWM + "pkg/wsman/cim/power/types.go",
        "properties": _SERVICE + _STATES,
        "optional": [],
    },
    "CIM_SoftwareIdentity": {
        "source": _GWM + "pkg/wsman/cim/software/types.go",
        "properties": ["InstanceID", "IsEntity", "VersionString"],
        "optional": [],
    },
    "CIM_WiFiEndpoint": {
        "source": _GWM + "pkg/wsman/cim/wifi/types.go",
        "properties": _SERVICE + _STATES + ["HealthState", "MACAddress"],
        "optional": [],
    },
    "CIM_WiFiEndpointCapabilities": {
        "source": _GWM + "pkg/wsman/cim/wifi/types.go",
        "properties": ["ElementName", "InstanceID", "SupportedAuthenticationMethods", "SupportedEncryptionMethods"],
        "optional": [],
    },
    "CIM_WiFiEndpointSettings": {
        "source": _GWM + "pkg/wsman/cim/wifi/types.go",
        "properties": ["AuthenticationMethod", "BSSType", "ElementName", "EncryptionMethod", "InstanceID", "Priority",
                       "SSID"],
        "optional": [],
    },
    "CIM_WiFiPort": {
        "source": _GWM + "pkg/wsman/cim/wifi/types.go",
        "properties": ["CreationClassName", "DeviceID", "ElementName", "EnabledState", "HealthState", "LinkTechnology",
                       "PermanentAddress", "PortType", "RequestedState", "SystemCreationClassName", "SystemName"],
        "optional": [],
    },
    "IPS_HostBasedSetupService": {
        "source": _GWM + "pkg/wsman/ips/hostbasedsetup/types.go",
        "properties": ["AllowedControlModes", "CertChainStatus", "ConfigurationNonce", "CurrentControlMode"] + _SERVICE,
        "optional": [],
    },
    "IPS_KVMRedirectionSettingData": {
        "source": _GWM + "pkg/wsman/ips/kvmredirection/types.go",
        "properties": ["BackToBackFbMode", "DefaultScreen", "ElementName", "EnabledByMEBx", "InstanceID",
                       "Is5900PortEnabled", "OptInPolicy", "RFBPassword", "SessionTimeout"],
        # OptInPolicyTimeout only while consent is required; the KVM capabilities by the names of Intel's newer capture
        # (responses/ips/kvmredirection/settings/put.xml), which the Go struct spells differently
        "optional": ["DoubleBufferActive", "DoubleBufferEnabled", "GrayscalePixelFormatSupported",
                     "InitialDecimationModeForLowRes", "OptInPolicyTimeout", "ZlibControlSupported"],
    },
    "IPS_OptInService": {
        "source": _GWM + "pkg/wsman/ips/optin/types.go",
        "properties": _SERVICE + ["CanModifyOptInPolicy", "OptInCodeTimeout", "OptInDisplayTimeout", "OptInRequired",
                                  "OptInState"],
        "optional": [],
    },
}
