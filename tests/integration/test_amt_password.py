# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_password end to end: ansible-playbook against simulated ACM and CCM devices over real loopback sockets.

Loopback range: 127.77.143.x and 127.78.143.x (ACM), 127.77.144.x and 127.78.144.x (CCM), 127.77.149.250 unreachable.
"""

from __future__ import annotations

import hashlib
import ssl

import pytest

from conftest import device, run_play, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import digest_password

ACM_FLEET = {"first_address": "127.77.143.1", "local_first_address": "127.78.143.1"}
CCM_FLEET = {"first_address": "127.77.144.1", "local_first_address": "127.78.144.1"}
# In 127.0.0.0/8 and outside every fleet's range: nothing listens there.
UNREACHABLE_ADDRESS = "127.77.149.250"
NEW_PASSWORD = "N3w-Adm1n!pass"
RENAMED_PASSWORD = "R3named~Adm1n"
MEBX_PASSWORD = "Mebx-P4ss;word"
CHECK_AND_DIFF = {"check_mode": True, "diff": True}


@pytest.fixture(scope="module")
def acm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("password-acm"), 3, "acm", ACM_FLEET)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def ccm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("password-ccm"), 2, "ccm", CCM_FLEET)
    yield fleet
    fleet.stop()


def test_check_mode_and_diff_then_change_then_unchanged(acm_fleet, tmp_path):
    amt = device(acm_fleet, 0)
    old_password = amt.vars["amt_password"]
    rotate = amt.connection(new_password=NEW_PASSWORD)

    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("check", "amt_password", rotate, CHECK_AND_DIFF),
        ("first", "amt_password", rotate),
        ("second", "amt_password", rotate),
        ("with the new password", "amt_password", amt.connection(password=NEW_PASSWORD, new_password=NEW_PASSWORD)),
    ], hosts=amt.name, diff=True)
    check = runs["check"]
    assert not check.get("failed"), check
    assert check["changed"] is True and check["admin_password_changed"] is True
    assert check["diff"] == {"before": {"admin_username": "admin", "admin_password": "********"},
                             "after": {"admin_username": "admin", "admin_password": "******** (new)"}}
    # Had check mode written the password, the first real run would find it set and report no change.
    assert runs["first"]["changed"] is True, runs["first"]
    assert runs["second"]["changed"] is False, runs["second"]
    assert "diff" in runs["second"] and runs["second"]["diff"]["before"] == runs["second"]["diff"]["after"]
    assert runs["with the new password"]["changed"] is False, runs["with the new password"]
    assert amt.authenticates("admin", NEW_PASSWORD) and not amt.authenticates("admin", old_password)
    for secret in (NEW_PASSWORD, old_password):
        assert secret not in runs.output


def test_rename_admin_and_keep_mebx_policy(acm_fleet, tmp_path):
    amt = device(acm_fleet, 1)
    rename = amt.connection(new_username="opsadmin", new_password=RENAMED_PASSWORD)
    mebx_always = amt.connection(username="opsadmin", password=RENAMED_PASSWORD, mebx_password=MEBX_PASSWORD, update_mebx_password="always")
    mebx_when_default = dict(mebx_always, update_mebx_password="when_default")
    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("rename", "amt_password", rename),
        ("rename again", "amt_password", rename),
        ("mebx always", "amt_password", mebx_always),
        ("mebx when default", "amt_password", mebx_when_default),
    ], hosts=amt.name)
    assert runs["rename"]["changed"] is True and runs["rename"]["admin_username"] == "opsadmin", runs["rename"]
    assert any("now named 'opsadmin'" in warning for warning in runs["rename"]["warnings"])
    assert runs["rename again"]["changed"] is False and runs["rename again"]["admin_username"] == "opsadmin"
    assert runs["mebx always"]["changed"] is True and runs["mebx always"]["mebx_password_changed"] is True
    assert runs["mebx always"]["control_mode"] == "acm"
    # The ACM profile already has a non-default MEBx password, so when_default leaves it alone.
    assert runs["mebx when default"]["changed"] is False, runs["mebx when default"]
    assert amt.authenticates("opsadmin", RENAMED_PASSWORD) and not amt.authenticates("admin", amt.vars["amt_password"])
    assert MEBX_PASSWORD not in runs.output


# One case per rule of REFERENCE.md 4.1 (the complexity rules share one case: the message lists every missing class);
# tests/unit/plugins/module_utils/units/test_password_policy.py covers each character class on its own.
BAD_INPUTS = {
    "length": ({"new_password": "Sh0rt!"}, "new_password does not meet AMT's password rule", "8 to 32 characters long (got 6)"),
    "ascii": ({"new_password": "Passw\u00f6rd-1"}, "new_password does not meet", "printable 7-bit ASCII"),
    "forbidden character": ({"new_password": "Pass:w0rd!"}, "new_password does not meet", "colon, comma or double quote"),
    "complexity": ({"new_password": "lowercaseonly"}, "new_password does not meet",
                   "contain a digit; contain an upper-case letter; contain a special character other than '_' and space"),
    "mebx rule": ({"mebx_password": "admin"}, "mebx_password does not meet", "8 to 32 characters long (got 5)"),
    "username length": ({"new_password": NEW_PASSWORD, "new_username": "a" * 17}, "new_username must be 1 to 16 characters", "got 17"),
    "username character": ({"new_password": NEW_PASSWORD, "new_username": "ops<1>"}, "new_username must not contain", ":"),
    "system username": ({"new_password": NEW_PASSWORD, "new_username": "$$ops"}, "new_username must not begin with $$", "system accounts"),
}


@pytest.fixture(scope="module")
def bad_input_runs(acm_fleet, tmp_path_factory):
    # The hostname has no listener: a module that sent anything would fail as unreachable instead of invalid_input.
    amt = device(acm_fleet, 2)
    tasks = [(name, "amt_password", amt.connection(hostname=UNREACHABLE_ADDRESS, **args)) for name, (args, _start, _rule) in BAD_INPUTS.items()]
    tasks.append(("username without password", "amt_password", amt.connection(hostname=UNREACHABLE_ADDRESS, new_username="ops",
                                                                              mebx_password=MEBX_PASSWORD)))
    tasks.append(("nothing to do", "amt_password", amt.connection(hostname=UNREACHABLE_ADDRESS)))
    return run_play(tmp_path_factory.mktemp("password-bad-input"), acm_fleet.inventory_path, tasks, hosts=amt.name)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_before_sending(bad_input_runs, case):
    _args, start, rule = BAD_INPUTS[case]
    result = bad_input_runs[case]
    assert result["failed"] is True and result["changed"] is False
    assert result["error"] == "invalid_input", result
    assert result["msg"].startswith(start) and rule in result["msg"], result["msg"]


def test_option_dependencies_are_checked_by_ansible(bad_input_runs):
    assert "new_username" in bad_input_runs["username without password"]["msg"]
    assert "new_password" in bad_input_runs["username without password"]["msg"]
    assert "one of the following is required: new_password, mebx_password" in bad_input_runs["nothing to do"]["msg"]


def test_ccm_refuses_mebx_before_any_write(ccm_fleet, tmp_path):
    amt = device(ccm_fleet, 0)
    runs = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("both", "amt_password", amt.connection(new_password=NEW_PASSWORD, mebx_password=MEBX_PASSWORD)),
    ], hosts=amt.name)
    result = runs["both"]
    assert result["failed"] is True and result["changed"] is False
    assert result["error"] == "not_permitted"
    assert "client control mode (CCM)" in result["msg"] and "Ctrl-P" in result["msg"]
    assert amt.authenticates("admin", amt.vars["amt_password"]), "the admin password must not change when the MEBx part is refused"


def test_device_refuses_a_name_that_a_user_account_has(ccm_fleet, tmp_path):
    amt = device(ccm_fleet, 1)
    client = amt.client()
    try:
        realm = client.get("AMT_GeneralSettings")["DigestRealm"]
        client.invoke("AMT_AuthorizationService", "AddUserAclEntryEx", [
            ("DigestUsername", "operator"), ("DigestPassword", digest_password("operator", realm, NEW_PASSWORD)),
            ("AccessPermission", 1), ("Realms", [2])])
    finally:
        client.close()
    # operator's password is NEW_PASSWORD: the first try authenticates, but not as the admin, so it is no reason to stop.
    runs = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("rename", "amt_password", amt.connection(new_username="operator", new_password=NEW_PASSWORD)),
    ], hosts=amt.name)
    result = runs["rename"]
    assert result["failed"] is True and result["changed"] is False
    assert result["return_name"] == "PT_STATUS_DUPLICATE" and result["return_value"] == 2058
    assert "'operator' is already the name of a user account" in result["msg"]
    assert amt.authenticates("admin", amt.vars["amt_password"])


def test_identity_credentials_and_tls_failures(acm_fleet, tmp_path):
    amt = device(acm_fleet, 2)
    pem = ssl.get_server_certificate((amt.vars["amt_hostname"], amt.vars["amt_tls_port"]))
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("wrong uuid", "amt_password", amt.connection(new_password=NEW_PASSWORD, expected_uuid="11111111-2222-3333-4444-555555555555")),
        ("wrong password", "amt_password", amt.connection(password="Wr0ng-Passw0rd!", new_password=NEW_PASSWORD)),
        ("wrong fingerprint", "amt_password", amt.connection(new_password=NEW_PASSWORD, ca_path=None, cert_fingerprint="ab" * 32)),
        ("pinned", "amt_password", amt.connection(new_password=NEW_PASSWORD, ca_path=None, cert_fingerprint=fingerprint,
                                                  expected_uuid=amt.vars["amt_uuid"])),
    ], hosts=amt.name)
    assert runs["wrong uuid"]["error"] == "identity_mismatch" and runs["wrong uuid"]["changed"] is False
    assert runs["wrong password"]["error"] == "authentication"
    assert "neither the desired credentials" in runs["wrong password"]["msg"]
    assert runs["wrong fingerprint"]["error"] == "tls"
    assert runs["pinned"]["changed"] is True, runs["pinned"]
    assert amt.authenticates("admin", NEW_PASSWORD)
