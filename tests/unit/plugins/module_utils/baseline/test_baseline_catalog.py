# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog against docs/hardening-controls.md: every control of its table, in order, with its severity; the
settings' defaults accepted by the units that enforce them; the module's documentation naming every setting."""

from __future__ import annotations

import pathlib
import re

import pytest

from ansible_collections.oob.amt.plugins.module_utils.baseline import catalog
from ansible_collections.oob.amt.plugins.module_utils.baseline.runner import Run
from ansible_collections.oob.amt.plugins.module_utils.baseline.settings import baseline_settings
from ansible_collections.oob.amt.plugins.modules import amt_baseline

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.baseline.stub_module import StubModule, site_ca

CONTROLS_DOC = pathlib.Path(__file__).resolve().parents[5] / "docs" / "hardening-controls.md"
_ROW = re.compile(r"^\| (AMT-[A-Z]+-\d\d) \|(?:[^|]*\|){4} (high|medium|low)\b")


def documented_controls():
    """(id, severity) of every row of section 1's table."""
    rows = [_ROW.match(line) for line in CONTROLS_DOC.read_text(encoding="utf-8").splitlines()]
    return [(row.group(1), row.group(2)) for row in rows if row]


def test_the_catalog_is_the_documented_table_in_its_order():
    documented = documented_controls()
    assert len(documented) >= 37
    assert [(control.id, control.severity) for control in catalog.CONTROLS] == documented


@pytest.mark.parametrize("control", catalog.CONTROLS, ids=lambda control: control.id)
def test_every_control_says_what_it_is_and_how_to_fix_it(control):
    assert control.title and control.fix
    assert control.mode in (catalog.ENFORCE, catalog.OBSERVE, catalog.MANUAL)
    assert (control.unit is not None) == (control.mode == catalog.ENFORCE)
    assert control.variable == "amt_hardening_%s_%s" % (control.id.split("-")[1].lower(), control.id.split("-")[2])
    assert control.defaults()[catalog.ENFORCE_SETTING] is True
    if control.mode == catalog.MANUAL:
        assert control.manual_reason
    for requirement in control.requires:
        for name in requirement.split("|"):
            assert name.startswith("secrets.") and name[len("secrets."):] in control.secrets or name in control.settings, name


def test_the_module_documents_every_setting_and_secret():
    for control in catalog.CONTROLS:
        for name in control.settings:
            if name != catalog.ENFORCE_SETTING:
                assert "C(%s" % name in amt_baseline.DOCUMENTATION, (control.id, name)
        for name in control.secrets:
            assert "C(%s)" % name in amt_baseline.DOCUMENTATION, (control.id, name)
        assert "C(%s)" % control.id in amt_baseline.DOCUMENTATION or control.mode == catalog.ENFORCE and not control.requires


# Wi-Fi, TLS and the allowed accounts are planned from what the device holds: their units need it.
ENFORCED_WITHOUT_DATA = [control for control in catalog.CONTROLS
                         if control.mode == catalog.ENFORCE and control.unit not in ("wifi", "tls", "accounts") and not control.requires]


@pytest.mark.parametrize("control", ENFORCED_WITHOUT_DATA, ids=lambda control: control.id)
def test_every_secure_default_is_accepted_by_its_unit(control):
    settings = baseline_settings({})
    run = Run(StubModule(), [control.id], settings, {}, {}, True)
    unit = run._unit(control, settings[control.id])  # pylint: disable=protected-access
    assert unit is not None and unit.want is not None


def test_the_data_controls_accept_the_site_data_they_name():
    ca = site_ca()
    given = {
        "AMT-AUD-01": {"name": "auditor"},
        "AMT-CIRA-01": {"servers": [{"address": "mps.example.com", "cn": "mps.example.com", "username": "amt"}]},
        "AMT-CIRA-03": {"user_initiated": "disabled"},
        "AMT-ENV-01": {"detection_domains": ["corp.example.com"]},
        "AMT-TLS-01": {"server_certificate": {"common_name": "amt.example.com", "subject_alt_names": ["amt.example.com"]},
                       "issuer_certificate": ca["certificate"]},
    }
    secrets = {"auditor_password": "Aud1tor-Passw0rd!", "mps_passwords": {"mps.example.com": "Mps-Passw0rd!"}, "tls_ca_key": ca["key"]}
    settings = baseline_settings(given)
    run = Run(StubModule(hostname="amt.example.com"), list(catalog.IDS), settings, secrets, {}, True)
    run.check_inputs()
    for control_id in ("AMT-AUD-01", "AMT-CIRA-01", "AMT-CIRA-03", "AMT-ENV-01"):
        control = catalog.BY_ID[control_id]
        assert run._unit(control, settings[control_id]).want is not None  # pylint: disable=protected-access
    tls = run._tls_unit(None, ["AMT-TLS-01", "AMT-TLS-02", "AMT-TLS-04"])  # pylint: disable=protected-access
    assert tls.want["issuer"] is not None and tls.want["accept_non_secure_connections"] is False and tls.want["local_tls"] is True
