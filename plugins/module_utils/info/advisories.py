# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Intel AMT firmware advisories and the version rule of docs/hardening-controls.md section 3 (control AMT-FW-01).

Every advisory says, for one firmware version, one of:
  affected      the version is in the advisory's range and below the fix of its line (or its branch is out of support)
  fixed         the version is at or above the fix of its line
  not_affected  the advisory's source lists its affected branches completely and this one is not among them
  unknown       no sourced threshold for this line ("no sourced threshold", never counted as a pass)
"""

from __future__ import annotations

import re

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError

AFFECTED = "affected"
FIXED = "fixed"
NOT_AFFECTED = "not_affected"
UNKNOWN = "unknown"

# Intel ended support for AMT 3.x-10.x (IKB-404, IKB-575): docs/hardening-controls.md counts such a unit as affected by every
# advisory published after SA-00086 (November 2017).
OUT_OF_SUPPORT_MAJORS = (3, 10)
OUT_OF_SUPPORT_SINCE = "2017-11"

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?\s*$")


def parse_version(text, build=None):
    """Return the version as a tuple of ints, (M, m, h) or (M, m, h, b) when the build number is known."""
    match = _VERSION.match(str(text or ""))
    if not match:
        raise DeviceError("the firmware reported a version that is not M.m.h: %r" % (text,))
    numbers = [int(part) for part in match.groups() if part is not None]
    if len(numbers) == 3 and build is not None and str(build).strip().isdigit():
        numbers.append(int(str(build).strip()))
    return tuple(numbers)


def fix_line(version):
    """The fix line a version belongs to (rule 3): 11.0-11.8 -> 11.8, 11.10-11.12 -> 11.11, 11.20-11.22 -> 11.22."""
    major, minor = version[0], version[1]
    if major == 11:
        if minor <= 8:
            return (11, 8)
        if 10 <= minor <= 12:
            return (11, 11)
        if 20 <= minor <= 22:
            return (11, 22)
    return (major, minor)


def _comparable(version):
    # Intel's KB names the 11.1x line 11.11.x, Greenbone's scripts 11.12.x (docs/hardening-controls.md section 3, UNCONFIRMED which
    # is right). Settled here: 11.11 and 11.12 are one minor of one line, so only the hotfix number decides between them.
    if version[0] == 11 and version[1] == 12:
        return (11, 11) + tuple(version[2:])
    return tuple(version)


def _at_least(version, fixed_in):
    """Rule 4/5: compare as integer tuples; the build number only where both sides have one."""
    width = min(len(version), len(fixed_in))
    return _comparable(version)[:width] >= _comparable(fixed_in)[:width]


class Advisory:
    """One advisory row of docs/hardening-controls.md section 3.

    affects(version) -> bool: the version lies in the advisory's published affected range.
    fixed_in: fix line -> first fixed version on that line.
    complete: the source names every affected branch, so a version outside ``affects`` is not affected; otherwise a
      version outside the listed ranges and below any fix of its line is unknown (rule 6).
    exact: fixed_in holds the advisory's own fixed versions. When False the entries are later cumulative fixes: at or
      above them the unit is fixed, below them (in range) its status is unknown.
    """

    def __init__(self, advisory_id, cves, published, affects, fixed_in, complete=False, exact=True, line=fix_line, note=None):
        self.id = advisory_id
        self.cves = cves
        self.published = published
        self.affects = affects
        self.fixed_in = fixed_in
        self.complete = complete
        self.exact = exact
        self.line = line
        self.note = note

    def status(self, version):
        """Return (status, fixed_in tuple or None, reason text) for a version tuple."""
        line = self.line(version)
        fixed_in = self.fixed_in.get(line)
        if fixed_in and _at_least(version, fixed_in):
            return FIXED, fixed_in, "at or above %s" % format_version(fixed_in)
        if OUT_OF_SUPPORT_MAJORS[0] <= version[0] <= OUT_OF_SUPPORT_MAJORS[1] and self.published > OUT_OF_SUPPORT_SINCE:
            return AFFECTED, None, "AMT %d.x is out of support and gets no fix (Intel, IKB-404 and IKB-575)" % version[0]
        if not self.affects(version):
            if self.complete:
                return NOT_AFFECTED, None, "branch %d.%d is outside the affected range" % tuple(version[:2])
            return UNKNOWN, None, "no sourced threshold for line %s" % format_version(line)
        if fixed_in and self.exact:
            return AFFECTED, fixed_in, "below the first fixed version %s of its line" % format_version(fixed_in)
        return UNKNOWN, None, "no sourced fixed version for line %s" % format_version(line)


def format_version(version):
    return ".".join(str(number) for number in version)


def _in_ranges(ranges):
    """Predicate for 'first..last' ranges given as ((M, m[, h]), (M, m, h)) pairs, bounds inclusive."""
    def affects(version):
        for first, last in ranges:
            if first <= tuple(version[:len(first)]) and tuple(version[:3]) <= last:
                return True
        return False
    return affects


def _sa75_line(version):
    # SA-00075 has its own per-branch fixes (docs/amt-reference.md 2.4): 9.0/9.1 share one fix, 11.5/11.6 share one fix.
    major, minor = version[0], version[1]
    if major == 9:
        return (9, 5) if minor >= 5 else (9, 1)
    if major == 11:
        return (11, 6) if minor in (5, 6) else (11, minor)
    return (major,)


# Later cumulative fixes used as the "known fixed from" bound for advisories without sourced per-branch fixes:
# the first later advisory with sourced fixes is SA-00213, and firmware fixes on one line are cumulative.
_SA213_FIXES = {(11, 8): (11, 8, 65), (11, 11): (11, 11, 65), (11, 22): (11, 22, 65), (12, 0): (12, 0, 35)}

ADVISORIES = (
    Advisory(
        "INTEL-SA-00075", ["CVE-2017-5689"], "2017-05",
        affects=lambda v: 6 <= v[0] <= 10 or (v[0] == 11 and v[1] in (0, 5, 6)),
        fixed_in={(6,): (6, 2, 61, 3535), (7,): (7, 1, 91, 3272), (8,): (8, 1, 71, 3608), (9, 1): (9, 1, 41, 3024),
                  (9, 5): (9, 5, 61, 3012), (10,): (10, 0, 55, 3000), (11, 0): (11, 0, 25, 3001), (11, 6): (11, 6, 27, 3264)},
        complete=True, line=_sa75_line,
        note="Digest authentication bypass: an empty digest response is accepted. Intermediate fixes 11.0.18.3003, "
             "11.0.22.3001 and 11.6.12.3202 come from a secondary source and are not applied."),
    Advisory(
        "INTEL-SA-00086", ["CVE-2017-5711", "CVE-2017-5712"], "2017-11",
        affects=lambda v: 8 <= v[0] <= 10 or (v[0] == 11 and v[1] in (0, 5, 6, 7, 10, 20)),
        # Inferred from a 360CERT note on SA-00125 (docs/hardening-controls.md section 3); every affected 11.x minor lies below them.
        fixed_in={(11, 8): (11, 8, 50, 3399), (11, 11): (11, 11, 50, 1402), (11, 22): (11, 21, 50, 1400)},
        complete=True,
        note="Fixed versions are inferred (a 360CERT note on SA-00125); AMT 8.x-10.x fixes are unconfirmed."),
    Advisory(
        "INTEL-SA-00112", ["CVE-2018-3628", "CVE-2018-3629", "CVE-2018-3632"], "2018-07",
        affects=lambda v: 3 <= v[0] <= 11,
        fixed_in=_SA213_FIXES, complete=True, exact=False,
        note="Per-branch fixed versions are unconfirmed; a unit is counted fixed from the SA-00213 fix of its line."),
    Advisory(
        "INTEL-SA-00141", ["CVE-2018-3616", "CVE-2018-3657", "CVE-2018-3658"], "2018-09",
        affects=lambda v: 3 <= v[0] <= 11 or tuple(v[:3]) < (12, 0, 5),
        fixed_in=_SA213_FIXES, complete=True, exact=False,
        note="Per-branch fixed versions are unconfirmed (Greenbone: before 12.0.5); counted fixed from the SA-00213 fix "
             "of the line."),
    Advisory(
        "INTEL-SA-00213", ["CVE-2019-0092", "CVE-2019-0094", "CVE-2019-0096", "CVE-2019-0097"], "2019-05",
        affects=_in_ranges((((11, 0), (11, 8, 60)), ((11, 10), (11, 11, 60)), ((11, 20), (11, 22, 60)), ((12, 0), (12, 0, 20)))),
        fixed_in={(11, 8): (11, 8, 65), (11, 11): (11, 11, 65), (11, 22): (11, 22, 65), (12, 0): (12, 0, 35)}),
    Advisory(
        "INTEL-SA-00241", ["CVE-2019-11132", "CVE-2019-11088", "CVE-2019-11131", "CVE-2019-0131", "CVE-2019-0166",
                           "CVE-2019-11100", "CVE-2019-11107", "CVE-2019-11086"], "2019-11",
        affects=_in_ranges((((11, 0), (11, 8, 65)), ((11, 10), (11, 11, 65)), ((11, 20), (11, 22, 65)), ((12, 0), (12, 0, 35)))),
        fixed_in={(11, 8): (11, 8, 70), (11, 11): (11, 11, 70), (11, 22): (11, 22, 70), (12, 0): (12, 0, 45)}),
    Advisory(
        "INTEL-SA-00295", ["CVE-2020-0594", "CVE-2020-0595", "CVE-2020-0596", "CVE-2020-8674", "CVE-2020-0531",
                           "CVE-2020-0532", "CVE-2020-0537", "CVE-2020-0538", "CVE-2020-0540"], "2020-06",
        affects=_in_ranges((((11, 0), (11, 8, 76)), ((11, 10), (11, 11, 76)), ((11, 20), (11, 22, 76)), ((12, 0), (12, 0, 63)),
                            ((13, 0), (13, 0, 31)), ((14, 0), (14, 0, 32)), ((14, 5), (14, 5, 11)))),
        fixed_in={(11, 8): (11, 8, 77), (11, 11): (11, 11, 77), (11, 22): (11, 22, 77), (12, 0): (12, 0, 64),
                  (13, 0): (13, 0, 32), (14, 0): (14, 0, 33), (14, 5): (14, 5, 12)}),
    Advisory(
        "INTEL-SA-00404", ["CVE-2020-8758"], "2020-09",
        affects=_in_ranges((((11, 0), (11, 8, 77)), ((11, 10), (11, 11, 77)), ((11, 20), (11, 22, 77)), ((12, 0), (12, 0, 64)),
                            ((14, 0), (14, 0, 33)))),
        # Intel's KB gives 11.11.79 and Greenbone 11.12.79 for the same line; both compare equal here (see _comparable).
        fixed_in={(11, 8): (11, 8, 79), (11, 11): (11, 11, 79), (11, 22): (11, 22, 79), (12, 0): (12, 0, 68), (14, 0): (14, 0, 39)}),
    Advisory(
        "INTEL-SA-00391", ["CVE-2020-8746", "CVE-2020-8747", "CVE-2020-8749", "CVE-2020-8752", "CVE-2020-8753",
                           "CVE-2020-8754", "CVE-2020-8757", "CVE-2020-8760", "CVE-2020-12356"], "2020-11",
        affects=lambda v: True,
        fixed_in={(11, 8): (11, 8, 80), (11, 11): (11, 12, 80), (11, 22): (11, 22, 80), (12, 0): (12, 0, 70), (14, 0): (14, 0, 45)}),
)


def evaluate(version):
    """Status of every catalogued advisory for a version tuple, in catalog order (SA-00075 first)."""
    results = []
    for advisory in ADVISORIES:
        status, fixed_in, reason = advisory.status(version)
        entry = {
            "advisory": advisory.id,
            "cves": list(advisory.cves),
            "status": status,
            "fixed_in": format_version(fixed_in) if fixed_in and status in (AFFECTED, FIXED) else None,
            "reason": reason,
        }
        if advisory.note:
            entry["note"] = advisory.note
        results.append(entry)
    return results
