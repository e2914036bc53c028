# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contrib/awx: the credential type injects exactly the variables the amt_hardening role reads and the secrets
amt_baseline documents; the AWX objects name each other consistently; the execution environment definition goes
through `ansible-builder create` offline (skipped where ansible-builder is not installed)."""

from __future__ import annotations

import ast
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
AWX = ROOT / "contrib" / "awx"
ROLE = ROOT / "roles" / "amt_hardening"
BIN = pathlib.Path(sys.executable).parent
TEMPLATE_NAME = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def load(name):
    return yaml.safe_load((AWX / name).read_text(encoding="utf-8"))


def credential_type():
    (entry,) = load("credential_types.yml")["credential_types"]
    return entry


def role_options():
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return specs["argument_specs"]["main"]["options"]


def documented_secrets():
    """The secret names amt_baseline's `secrets` option documents, read from the module's DOCUMENTATION."""
    tree = ast.parse((ROOT / "plugins" / "modules" / "amt_baseline.py").read_text(encoding="utf-8"))
    text = next(ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION")
    description = " ".join(yaml.safe_load(text)["options"]["secrets"]["description"])
    return {name for name in re.findall(r"C\((\w+)\)", description) if name.islower()}


def template_names(node):
    if isinstance(node, dict):
        return {name for key, value in node.items() for name in template_names(key) | template_names(value)}
    return set(TEMPLATE_NAME.findall(node))


def test_the_injector_sets_the_variables_the_role_reads():
    injected = credential_type()["injectors"]["extra_vars"]
    options = role_options()
    assert set(injected) == {"amt_username", "amt_password", "amt_hardening_secrets"}
    assert set(injected) <= set(options), "every injected variable is an option of the role"
    assert options["amt_password"].get("no_log") and options["amt_hardening_secrets"].get("no_log")
    tasks = (ROLE / "tasks" / "main.yml").read_text(encoding="utf-8")
    for name in injected:
        assert re.search(r"\{\{\s*%s\b" % name, tasks), "the role's tasks read %s" % name


def test_the_injected_secrets_are_the_ones_amt_baseline_documents():
    secrets = credential_type()["injectors"]["extra_vars"]["amt_hardening_secrets"]
    assert documented_secrets() == {"auditor_password", "tls_ca_key", "tls_ca_key_passphrase", "rfb_password", "mps_passwords",
                                    "account_passwords"}
    assert set(secrets) == documented_secrets()
    assert isinstance(secrets["mps_passwords"], dict), "amt_baseline takes a mapping of server address to password"
    assert isinstance(secrets["account_passwords"], dict), "amt_baseline takes a mapping of account name to password"


def test_every_field_is_injected_and_every_secret_is_marked_secret():
    entry = credential_type()
    fields = {field["id"]: field for field in entry["inputs"]["fields"]}
    assert template_names(entry["injectors"]) == set(fields)
    assert set(entry["inputs"]["required"]) <= set(fields)
    for name, field in fields.items():
        assert field["type"] == "string" and field["label"]
        if re.search(r"password|passphrase|key", name):
            assert field.get("secret") is True, name
    assert entry["kind"] == "cloud" and set(entry["injectors"]) == {"extra_vars"}


def test_the_objects_name_each_other():
    names = {kind: {entry["name"] for entry in load(file)[kind]} for kind, file in (
        ("credential_types", "credential_types.yml"), ("credentials", "credentials.yml"),
        ("execution_environments", "execution_environments.yml"), ("projects", "projects.yml"),
        ("inventories", "inventories.yml"), ("job_templates", "job_templates.yml"))}
    for credential in load("credentials.yml")["credentials"]:
        assert credential["credential_type"] in names["credential_types"]
        assert not set(credential.get("inputs", {})) & {"amt_password", "auditor_password", "tls_ca_key"}, "no secret in the file"
    for project in load("projects.yml")["projects"]:
        assert project["default_environment"] in names["execution_environments"]
    for source in load("inventories.yml")["inventory_sources"]:
        assert source["inventory"] in names["inventories"] and source["source_project"] in names["projects"]
    templates = load("job_templates.yml")["job_templates"]
    assert {template["job_type"] for template in templates} == {"check", "run"}
    for template in templates:
        assert template["inventory"] in names["inventories"] and template["project"] in names["projects"]
        assert template["execution_environment"] in names["execution_environments"]
        assert set(template["credentials"]) <= names["credentials"]
        assert (AWX / "project" / template["playbook"]).is_file()
        assert set(template["extra_vars"]) <= set(role_options()), "extra_vars are options of the role"
    for schedule in load("schedules.yml")["schedules"]:
        assert schedule["unified_job_template"] in names["job_templates"]
        assert re.fullmatch(r"DTSTART;TZID=UTC:\d{8}T\d{6} RRULE:FREQ=(DAILY|WEEKLY);INTERVAL=1(;BYDAY=[A-Z]{2})?", schedule["rrule"])


def test_the_project_playbook_runs_the_collections_playbook():
    (play,) = yaml.safe_load((AWX / "project" / "harden.yml").read_text(encoding="utf-8"))
    assert play["ansible.builtin.import_playbook"] == "oob.amt.harden"
    assert (ROOT / "playbooks" / "harden.yml").is_file()


def test_the_execution_environment_installs_this_collections_tarball():
    definition = load("execution-environment.yml")
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    tarball = "oob-amt-%s.tar.gz" % version
    assert definition["version"] == 3
    assert definition["dependencies"]["galaxy"]["collections"] == [{"name": "/build/collections/" + tarball, "type": "file"}]
    assert definition["additional_build_files"] == [{"src": "../../dist/" + tarball, "dest": "collections"}]
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert meta == {"version": 1, "dependencies": {"python": "meta/ee-requirements.txt"}}


def tool(name):
    found = BIN / name
    return str(found) if os.access(found, os.X_OK) else shutil.which(name)


def test_ansible_builder_create_offline(tmp_path):
    builder, galaxy = tool("ansible-builder"), tool("ansible-galaxy")
    if builder is None:
        pytest.skip("ansible-builder is not installed (pip install ansible-builder==3.2.0)")
    # The layout the definition expects: contrib/awx/execution-environment.yml and dist/<tarball> at the checkout's root.
    (tmp_path / "contrib" / "awx").mkdir(parents=True)
    shutil.copy(AWX / "execution-environment.yml", tmp_path / "contrib" / "awx")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(tmp_path / "dist"), str(ROOT)], check=True,
                   capture_output=True, timeout=300)
    completed = subprocess.run([builder, "create", "--file", "contrib/awx/execution-environment.yml", "--context", "context",
                                "--output-filename", "Containerfile"], cwd=str(tmp_path), capture_output=True, text=True,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    context = tmp_path / "context"
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    assert (context / "_build" / "collections" / ("oob-amt-%s.tar.gz" % version)).stat().st_size > 0
    assert yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8")) == {
        "collections": [{"name": "/build/collections/oob-amt-%s.tar.gz" % version, "type": "file"}]}
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert 'ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in containerfile
    assert "ansible-galaxy collection install" in containerfile


def test_ansible_builder_introspects_the_collections_requirements(tmp_path):
    builder = tool("ansible-builder")
    if builder is None:
        pytest.skip("ansible-builder is not installed (pip install ansible-builder==3.2.0)")
    collection = tmp_path / "ansible_collections" / "oob" / "amt"
    collection.mkdir(parents=True)
    shutil.copytree(ROOT / "meta", collection / "meta")
    shutil.copy(ROOT / "galaxy.yml", collection)  # what marks a collection's root for introspection
    completed = subprocess.run([builder, "introspect", "--sanitize", str(tmp_path)], capture_output=True, text=True,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    wanted = {line.split(">")[0].split("=")[0].strip() for line in (ROOT / "meta" / "ee-requirements.txt").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")}
    for name in wanted:
        assert re.search(r"^- '?%s\b.*# from collection oob\.amt" % re.escape(name), completed.stdout, re.MULTILINE), completed.stdout
