# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The amt_hardening role says what the baseline catalog says: its README's control table is what tools/role_table.py
renders, its argument specs are what tools/role_argument_specs.py renders, and its defaults have one variable per
catalog control, with the catalog's defaults and a reason."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest
import yaml

from ansible_collections.oob.amt.plugins.module_utils.baseline import catalog

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "amt_hardening"


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, str(ROOT / "tools" / (name + ".py")))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _role_table():
    return _tool("role_table")


def _yaml(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _catalog_defaults(control):
    return dict((name, value) for name, value in control.defaults().items()
                if value is not None and name != catalog.ENFORCE_SETTING)


def test_readme_table_is_the_rendered_catalog():
    role_table = _role_table()
    readme = ROLE.joinpath("README.md").read_text(encoding="utf-8")
    table = role_table.render((ROOT / "docs" / "hardening-controls.md").read_text(encoding="utf-8"))
    assert role_table.replace_table(readme, table) == readme, "run tools/role_table.py --write"
    assert table.count("\n| **AMT-") == len(catalog.CONTROLS)


def test_every_control_of_the_doc_is_in_the_table():
    rows = _role_table().doc_rows((ROOT / "docs" / "hardening-controls.md").read_text(encoding="utf-8"))
    assert sorted(rows) == sorted(catalog.IDS)


def test_replace_table_needs_both_markers():
    role_table = _role_table()
    with pytest.raises(ValueError, match="markers"):
        role_table.replace_table("no markers here\n", "| table |\n")


def test_defaults_hold_one_variable_per_control_with_the_catalog_defaults():
    defaults = _yaml(ROLE / "defaults" / "main.yml")
    assert defaults["amt_hardening_controls"] == list(catalog.IDS)
    control_variables = dict((name, value) for name, value in defaults.items()
                             if name not in ("amt_hardening_controls",) and name.split("_")[-1].isdigit())
    assert sorted(control_variables) == sorted(control.variable for control in catalog.CONTROLS)
    for control in catalog.CONTROLS:
        assert control_variables[control.variable] == _catalog_defaults(control), control.id


def test_argument_specs_are_the_rendered_catalog():
    text = ROLE.joinpath("defaults", "main.yml").read_text(encoding="utf-8")
    rendered = _tool("role_argument_specs").render(text)
    assert ROLE.joinpath("meta", "argument_specs.yml").read_text(encoding="utf-8") == rendered, \
        "run tools/role_argument_specs.py --write"


def test_argument_specs_declare_every_default_with_its_value():
    options = _yaml(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _yaml(ROLE / "defaults" / "main.yml")
    for name, value in defaults.items():
        if name != "amt_hardening_report_dir":  # a template over playbook_dir: documented, not given as a default
            assert options[name]["default"] == value, name
    for control in catalog.CONTROLS:
        assert sorted(options[control.variable]["options"]) == sorted(control.settings), control.id
    assert options["amt_hardening_secrets"]["no_log"] is True and options["amt_password"]["no_log"] is True


def test_a_control_without_a_reason_is_refused():
    text = ROLE.joinpath("defaults", "main.yml").read_text(encoding="utf-8").replace("# AMT-WEB-01:", "# no reason:")
    with pytest.raises(ValueError, match="AMT-WEB-01"):
        _tool("role_argument_specs").render(text)
