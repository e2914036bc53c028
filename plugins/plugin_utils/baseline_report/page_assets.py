# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report page's inline style sheet and script (render.page embeds both).

The script reads the report from the page's JSON element and builds the machines x controls grid (grouped, sorted,
filtered, one page of rows at a time, so 1,000 machines stay quick) and the per-machine detail, with createElement and
textContent only: no device string is ever parsed as markup. The page's address can name a view (filters, grouping,
sorting, page) and a machine to open, e.g. #show=machine:drifted&group=firmware&host=<name>.
"""

STYLE = r"""
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0 1rem 2rem;color:#1b1b1b;font-size:14px;background:#fff}
h1{font-size:1.5rem;margin:.8rem 0 .2rem}h2{font-size:1.15rem;margin:1.2rem 0 .4rem}h3{font-size:1rem;margin:.8rem 0 .3rem}
header p{margin:0;color:#555}
table{border-collapse:collapse}
caption{text-align:left;font-weight:600;padding-bottom:2px}
.totals,.advisories{margin:.4rem 1.5rem .6rem 0}
.totals th,.totals td,.advisories th,.advisories td{border:1px solid #ccc;padding:2px 8px;text-align:center}
.s-compliant{background:#c8e6c9}.s-changed{background:#bbdefb}.s-drifted{background:#ffe0b2}.s-not_applicable{background:#eee}
.s-manual{background:#e1bee7}.s-excepted{background:#b2ebf2}.s-failed{background:#ffcdd2}.s-unreachable{background:#bdbdbd}
.columns{display:flex;flex-wrap:wrap;gap:0 2rem;align-items:flex-start}.columns>div{min-width:0}
.chart{margin:.4rem 0;overflow-x:auto}
.chart-label{font-size:11px;fill:#222}.chart-count{font-size:10px;fill:#fff;text-anchor:middle}
details{margin:.2rem 0}details ul{margin:.2rem 0 .4rem;max-height:16rem;overflow:auto}
.toolbar{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.4rem 0}
.toolbar select,.toolbar input{font:inherit}#filter-control{max-width:22em}
.pager{margin:.3rem 0}.pager button{font:inherit;margin-right:.3rem}.page-no{margin:0 .6rem}
.grid-wrap{overflow:auto;max-height:80vh;border:1px solid #ccc}
#grid{font-size:12px}
#grid thead th{position:sticky;top:0;background:#fafafa;z-index:2;border-bottom:1px solid #bbb;padding:2px 4px}
#grid th.ctl{writing-mode:vertical-rl;white-space:nowrap;padding:4px 1px;font-weight:500;vertical-align:bottom}
#grid th.sev-high span{font-weight:700}
#grid td{padding:1px 4px;white-space:nowrap}
#grid td.cell{min-width:16px;text-align:center;padding:0 1px;border:1px solid #fff}
#grid .host-col{position:sticky;left:0;background:#fff;z-index:1;text-align:left}
#grid thead .host-col{z-index:3;background:#fafafa}
#grid .group-row th{background:#eceff1;text-align:left;padding:3px 6px;position:sticky;left:0}
#grid td.affected{color:#b71c1c;font-weight:600}
button.host{background:none;border:0;padding:0 4px;color:#0d47a1;cursor:pointer;font:inherit;text-decoration:underline}
button.host{max-width:28ch;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;display:block}
#detail dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}#detail dt{font-weight:600}#detail dd{margin:0}
#detail table td,#detail table th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left}
.error{color:#b71c1c}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var GLYPH = {compliant: "\u2713", changed: "C", drifted: "D", not_applicable: "\u2013", manual: "M", excepted: "E",
    failed: "F", unreachable: "U"};
  var RANK = {};
  report.machine_statuses.forEach(function (status, index) { RANK[status] = index; });
  var controls = report.controls;
  var catalog = {};
  controls.forEach(function (control) { catalog[control.id] = control; });
  var machines = report.machines;
  var grid = document.getElementById("grid");
  var count = document.getElementById("grid-count");
  var state = {text: "", status: "", control: "", group: "status", sort: "host", size: 100, page: 0};

  function label(status) { return String(status).replace(/_/g, " "); }

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function compareText(a, b) { return a < b ? -1 : (a > b ? 1 : 0); }

  function compareVersions(a, b) {
    var x = a.split("."), y = b.split(".");
    for (var i = 0; i < Math.max(x.length, y.length); i++) {
      var p = parseInt(x[i] || "0", 10), q = parseInt(y[i] || "0", 10);
      if (isNaN(p) || isNaN(q)) { return compareText(a, b); }
      if (p !== q) { return p - q; }
    }
    return 0;
  }

  machines.forEach(function (machine) {
    var own = {};
    machine.controls.forEach(function (entry) { own[entry.id] = entry; });
    var whole = machine.controls.length === 0 && (machine.status === "unreachable" || machine.status === "failed");
    machine.own = own;
    machine.cells = {};
    machine.bad = 0;
    controls.forEach(function (control) {
      var status = whole ? machine.status : (own[control.id] ? own[control.id].status : null);
      machine.cells[control.id] = status;
      if (status === "drifted" || status === "failed") { machine.bad += 1; }
    });
    machine.affected = machine.advisories.some(function (advisory) { return advisory.status === "affected"; });
    machine.firmware = machine.device.firmware || "unknown";
    machine.group = machine.groups.length ? machine.groups[0] : "(no group)";
    machine.search = [machine.host, machine.firmware, machine.groups.join(" "), machine.device.hostname || "",
      machine.device.uuid || ""].join(" ").toLowerCase();
  });

  function groupKey(machine) {
    if (state.group === "status") { return machine.status; }
    if (state.group === "firmware") { return machine.firmware; }
    if (state.group === "group") { return machine.group; }
    return "";
  }

  function compareGroups(a, b) {
    if (state.group === "status") { return RANK[a] - RANK[b]; }
    if (state.group === "firmware") { return compareVersions(a, b); }
    return compareText(a, b);
  }

  function compareMachines(a, b) {
    var order = 0;
    if (state.sort === "worst") { order = b.bad - a.bad || RANK[a.status] - RANK[b.status]; }
    if (state.sort === "firmware") { order = compareVersions(a.firmware, b.firmware); }
    return order || compareText(a.host, b.host);
  }

  function matches(machine) {
    if (state.text && machine.search.indexOf(state.text) < 0) { return false; }
    var filter = state.status;
    if (!filter) { return true; }
    if (filter === "advisory") { return machine.affected; }
    var kind = filter.split(":")[0], status = filter.split(":")[1];
    if (kind === "machine") { return machine.status === status; }
    if (state.control) { return machine.cells[state.control] === status; }
    return controls.some(function (control) { return machine.cells[control.id] === status; });
  }

  function cellTitle(machine, control, status) {
    var entry = machine.own[control.id];
    var text = machine.host + " \u2013 " + control.id + ": " + (status ? label(status) : "not in this run");
    if (entry && entry.reason) { text += " \u2013 " + entry.reason; }
    if (!entry && machine.error) { text += " \u2013 " + machine.error.msg; }
    return text;
  }

  function headRow(columns) {
    var row = el("tr");
    row.appendChild(el("th", {scope: "col", "class": "host-col"}, "machine"));
    row.appendChild(el("th", {scope: "col"}, "status"));
    row.appendChild(el("th", {scope: "col"}, "firmware"));
    columns.forEach(function (control) {
      var cell = el("th", {scope: "col", "class": "ctl sev-" + control.severity,
        title: control.id + ": " + control.title + " (" + control.severity + ")"});
      cell.appendChild(el("span", null, control.id));
      row.appendChild(cell);
    });
    return row;
  }

  function machineRow(machine, columns) {
    var row = el("tr", {"data-host": machine.host, "data-status": machine.status});
    var head = el("th", {scope: "row", "class": "host-col"});
    var button = el("button", {type: "button", "class": "host", title: machine.host}, machine.host);
    button.addEventListener("click", function () { showDetail(machine); });
    head.appendChild(button);
    row.appendChild(head);
    row.appendChild(el("td", {"class": "mstatus s-" + machine.status}, label(machine.status)));
    row.appendChild(el("td", {"class": "fw" + (machine.affected ? " affected" : "")}, machine.firmware + (machine.affected ? " \u26a0" : "")));
    columns.forEach(function (control) {
      var status = machine.cells[control.id];
      var cell = el("td", {"class": "cell" + (status ? " s-" + status : ""), "data-control": control.id, "data-status": status || ""},
        status ? GLYPH[status] : "");
      cell.title = cellTitle(machine, control, status);
      row.appendChild(cell);
    });
    return row;
  }

  function pager(container, pages) {
    container.textContent = "";
    if (pages < 2) { return; }
    [["\u00ab first", 0], ["\u2039 previous", state.page - 1], ["next \u203a", state.page + 1], ["last \u00bb", pages - 1]]
      .forEach(function (entry, index) {
        var button = el("button", {type: "button"}, entry[0]);
        button.disabled = entry[1] < 0 || entry[1] >= pages || entry[1] === state.page;
        button.addEventListener("click", function () { state.page = entry[1]; render(); });
        container.appendChild(button);
        if (index === 1) { container.appendChild(el("span", {"class": "page-no"}, "page " + (state.page + 1) + " of " + pages)); }
      });
  }

  function render() {
    var list = machines.filter(matches);
    list.sort(function (a, b) { return compareGroups(groupKey(a), groupKey(b)) || compareMachines(a, b); });
    var sizes = {};
    list.forEach(function (machine) { var key = groupKey(machine); sizes[key] = (sizes[key] || 0) + 1; });
    var pages = Math.max(1, Math.ceil(list.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * state.size;
    var shown = list.slice(start, start + state.size);
    var columns = state.control ? controls.filter(function (control) { return control.id === state.control; }) : controls;
    grid.tHead.textContent = "";
    grid.tHead.appendChild(headRow(columns));
    var body = grid.tBodies[0];
    body.textContent = "";
    var current = null;
    shown.forEach(function (machine) {
      var key = groupKey(machine);
      if (state.group && key !== current) {
        current = key;
        var row = el("tr", {"class": "group-row", "data-group": key});
        row.appendChild(el("th", {colspan: String(columns.length + 3), scope: "rowgroup"},
          label(state.group) + ": " + label(key) + " (" + sizes[key] + ")"));
        body.appendChild(row);
      }
      body.appendChild(machineRow(machine, columns));
    });
    count.setAttribute("data-shown", String(shown.length));
    count.setAttribute("data-matching", String(list.length));
    count.textContent = list.length
      ? "Showing " + (start + 1) + "\u2013" + (start + shown.length) + " of " + list.length + " machine(s)"
        + (list.length !== machines.length ? " (" + machines.length + " in all)" : "")
      : "No machine matches (" + machines.length + " in all)";
    pager(document.getElementById("pager-top"), pages);
    pager(document.getElementById("pager-bottom"), pages);
  }

  function table(headings, rows) {
    var node = el("table");
    var head = el("tr");
    headings.forEach(function (heading) { head.appendChild(el("th", {scope: "col"}, heading)); });
    node.appendChild(el("thead")).appendChild(head);
    var body = node.appendChild(el("tbody"));
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (cell) {
        var td = el("td", cell.status ? {"class": "s-" + cell.status} : null, cell.text === undefined ? cell : cell.text);
        row.appendChild(td);
      });
      body.appendChild(row);
    });
    return node;
  }

  function showDetail(machine) {
    var section = document.getElementById("detail");
    var body = document.getElementById("detail-body");
    document.getElementById("detail-host").textContent = machine.host;
    body.textContent = "";
    var facts = el("dl");
    [["status", label(machine.status)], ["inventory groups", machine.groups.join(", ") || "none"],
      ["firmware", machine.firmware], ["control mode", machine.device.control_mode || "unknown"],
      ["UUID", machine.device.uuid || "unknown"], ["AMT hostname", machine.device.hostname || "unknown"],
      ["changed", machine.changed ? "yes" : "no"],
      ["indeterminate", machine.indeterminate ? "yes: a write's answer was lost, the next run re-reads it" : "no"]]
      .forEach(function (pair) { facts.appendChild(el("dt", null, pair[0])); facts.appendChild(el("dd", null, pair[1])); });
    if (machine.error) {
      facts.appendChild(el("dt", null, "error"));
      facts.appendChild(el("dd", {"class": "error"}, machine.error.kind + ": " + machine.error.msg));
    }
    body.appendChild(facts);
    if (machine.advisories.length) {
      body.appendChild(el("h3", null, "Firmware advisories"));
      body.appendChild(table(["advisory", "status", "fixed in", "CVEs", "why"], machine.advisories.map(function (advisory) {
        return [advisory.id, advisory.status, advisory.fixed_in || "", advisory.cves.join(", "), advisory.reason || ""];
      })));
    }
    if (machine.controls.length) {
      body.appendChild(el("h3", null, "Controls"));
      body.appendChild(table(["control", "title", "severity", "status", "reason", "actions", "error", "fix"],
        machine.controls.map(function (entry) {
          var known = catalog[entry.id] || {title: "", severity: ""};
          return [entry.id, known.title, known.severity, {text: label(entry.status), status: entry.status}, entry.reason || "",
            entry.actions.join("; "), entry.error ? entry.error.kind + ": " + entry.error.msg : "", entry.fix || ""];
        })));
    }
    section.hidden = false;
    if (section.scrollIntoView) { section.scrollIntoView(); }
  }

  var controlSelect = document.getElementById("filter-control");
  controls.forEach(function (control) { controlSelect.appendChild(el("option", {value: control.id}, control.id + " " + control.title)); });
  var settings = [
    ["q", "filter-text", "input", function (value) { state.text = value.trim().toLowerCase(); }],
    ["show", "filter-status", "change", function (value) { state.status = value; }],
    ["control", "filter-control", "change", function (value) { state.control = value; }],
    ["group", "group-by", "change", function (value) { state.group = value; }],
    ["sort", "sort-by", "change", function (value) { state.sort = value; }],
    ["size", "page-size", "change", function (value) { state.size = parseInt(value, 10); }]];
  settings.forEach(function (entry) {
    document.getElementById(entry[1]).addEventListener(entry[2], function (event) {
      entry[3](event.target.value);
      state.page = 0;
      render();
    });
  });
  // A view to link to: #q=...&show=cell:drifted&control=AMT-TLS-01&group=firmware&sort=worst&size=250&page=2&host=<name>
  var wanted = {};
  window.location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    var at = pair.indexOf("=");
    try {
      if (at > 0) { wanted[decodeURIComponent(pair.slice(0, at))] = decodeURIComponent(pair.slice(at + 1)); }
    } catch (error) { /* a malformed escape leaves that setting at its default */ }
  });
  settings.forEach(function (entry) {
    if (!Object.prototype.hasOwnProperty.call(wanted, entry[0])) { return; }
    var input = document.getElementById(entry[1]);
    var before = input.value;
    input.value = wanted[entry[0]];
    if (input.value === wanted[entry[0]]) { entry[3](input.value); } else { input.value = before; }
  });
  if (wanted.page) { state.page = Math.max(0, (parseInt(wanted.page, 10) || 1) - 1); }
  render();
  if (wanted.host) {
    machines.filter(function (machine) { return machine.host === wanted.host; }).forEach(showDetail);
  }
}());
"""
