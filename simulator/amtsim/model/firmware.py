"""Firmware versions and the behaviour that depends on them (docs/amt-reference.md 2.4, 3.1, 3.2.1, 7.4; docs/hardening-controls.md 3)."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_FIRMWARE = "16.1.27.2176"

# INTEL-SA-00075 (CVE-2017-5689): (first vulnerable major.minor, last vulnerable major.minor, first fixed build)
_SA_00075_BRANCHES = (
    ((6, 0), (6, 99), (6, 2, 61, 3535)),
    ((7, 0), (7, 99), (7, 1, 91, 3272)),
    ((8, 0), (8, 99), (8, 1, 71, 3608)),
    ((9, 0), (9, 1), (9, 1, 41, 3024)),
    ((9, 5), (9, 99), (9, 5, 61, 3012)),
    ((10, 0), (10, 99), (10, 0, 55, 3000)),
    ((11, 0), (11, 0), (11, 0, 25, 3001)),
    ((11, 5), (11, 6), (11, 6, 27, 3264)),
)

SKU_AMT_PRO_CORPORATE = 16392


@dataclass(frozen=True)
class Firmware:
    """An AMT firmware version ``major.minor.hotfix.build`` and the rules that follow from it."""

    major: int
    minor: int
    hotfix: int
    build: int

    @classmethod
    def parse(cls, text: str) -> Firmware:
        parts = text.strip().split(".")
        if len(parts) != 4 or not all(part.isdigit() for part in parts):
            raise ValueError(f"firmware version must be major.minor.hotfix.build, got {text!r}")
        return cls(*(int(part) for part in parts))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.hotfix}.{self.build}"

    @property
    def version_tuple(self) -> tuple:
        return (self.major, self.minor, self.hotfix, self.build)

    @property
    def three_part(self) -> str:
        """The ``VersionString`` of CIM_SoftwareIdentity ``AMT`` (e.g. ``16.1.27``)."""
        return f"{self.major}.{self.minor}.{self.hotfix}"

    @property
    def server_header(self) -> str:
        return f"Intel(R) Active Management Technology {self}"

    def accepts_empty_digest(self) -> bool:
        """INTEL-SA-00075: the Digest check accepts an empty ``response``."""
        major_minor = (self.major, self.minor)
        for first, last, fixed in _SA_00075_BRANCHES:
            if first <= major_minor <= last:
                return self.version_tuple < fixed
        return False

    def non_secure_remote_removed(self) -> bool:
        """CSME 16.1 and later: NonSecureConnectionsSupported appears, the remote non-TLS port is gone."""
        return (self.major, self.minor) >= (16, 1)

    def local_tls_enforced(self) -> bool:
        """AMT 19 and later: the local (LMS) ports are TLS-only (GetChangeEnabled bit 0x40)."""
        return self.major >= 19

    def tls_versions(self) -> tuple:
        """TLS versions the firmware can negotiate (docs/firmware-timing.md section 8): 1.0 went at 12, 1.1 at 16; 1.3 is possible
        from 19 on (the network layer offers it only when told to)."""
        versions = ("1.0", "1.1", "1.2") if self.major < 12 else ("1.1", "1.2") if self.major < 16 else ("1.2",)
        return versions + ("1.3",) if self.major >= 19 else versions

    def auditor_can_block_unprovision(self) -> bool:
        """Releases 8.0 to 11.x: an Auditor must release UNPROVISIONING_LOCK before ACM can be unprovisioned."""
        return 8 <= self.major < 12

    def dns_suffix_survives_unprovision(self) -> bool:
        return self.major >= 12

    def legacy_wifi_ciphers(self) -> bool:
        """Whether TKIP and WEP are still advertised; our choice: platforms before CSME 16 (UNCONFIRMED)."""
        return self.major < 16

    def software_identities(self) -> list:
        """(InstanceID, VersionString) of CIM_SoftwareIdentity, in the capture's order."""
        three, build = self.three_part, str(self.build)
        return [
            ("Flash", three), ("Netstack", three), ("AMTApps", three), ("AMT", three),
            ("Sku", str(SKU_AMT_PRO_CORPORATE)), ("VendorID", "8086"), ("Build Number", build),
            ("Recovery Version", three), ("Recovery Build Num", build), ("Legacy Mode", "False"),
            ("AMT FW Core Version", three),
        ]
