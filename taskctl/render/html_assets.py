"""The report page's inline CSS and JavaScript (no network: everything ships in the page).

The script reads the JSON embedded in `#report-data`, draws the status board and the task
table (with a status filter and a text search), and sets `<body data-ready="1">` when done.
"""

CSS = """
:root { --fg:#212121; --muted:#616161; --line:#e0e0e0; --bg:#fafafa; --crit:#d32f2f; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       color:var(--fg); background:var(--bg); }
header { padding:18px 28px; background:#263238; color:#fff; }
header h1 { margin:0 0 4px; font-size:22px; }
header p { margin:0; color:#cfd8dc; }
main { padding:8px 28px 40px; max-width:1400px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 18px;
          margin:18px 0; }
h2 { margin:0 0 10px; font-size:18px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; }
.card { min-width:120px; padding:10px 14px; border-radius:8px; border:2px solid;
        cursor:pointer; user-select:none; }
.card .n { font-size:26px; font-weight:700; }
.card .l { font-size:12px; color:var(--muted); }
.card.active { outline:3px solid #1565c0; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.bar { display:flex; height:12px; min-width:160px; border-radius:3px; overflow:hidden;
       background:#f0f0f0; }
.bar span { display:block; height:100%; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; border:1px solid;
         font-size:12px; white-space:nowrap; }
.crit { color:var(--crit); font-weight:700; }
.graph { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-start; }
/* a wide graph scrolls inside its frame rather than shrinking its labels out of reach */
.graph .comp { border:1px solid var(--line); border-radius:6px; max-width:100%;
               max-height:900px; overflow:auto; background:#fff; }
.graph svg { display:block; max-width:none; }
.graph.fit .comp { max-height:none; overflow:visible; }
.graph.fit svg { max-width:100%; height:auto; }
.graph svg text { fill:var(--fg); }
.graph svg .ntitle { fill:#424242; }
.graph svg g.node:hover rect { stroke-width:3; }
.path { font-family:ui-monospace,Menlo,monospace; word-break:break-word; }
.controls { display:flex; gap:10px; margin-bottom:8px; }
.controls input, .controls select { padding:5px 8px; border:1px solid #bdbdbd;
                                    border-radius:5px; font:inherit; }
tr.task { cursor:pointer; }
tr.task:hover { background:#f5f5f5; }
tr.detail td { background:#fcfcfc; font-size:13px; }
.muted { color:var(--muted); }
.note { color:var(--muted); font-style:italic; }
img.curve { max-width:100%; border:1px solid var(--line); border-radius:6px; }
"""

JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var fill = JSON.parse(document.getElementById("report-colors").textContent);
  var filter = { status: "", text: "" };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function colours(s) { return fill[s] || ["#ffffff", "#9e9e9e", "#9e9e9e"]; }
  function badge(s) {
    var c = colours(s), b = el("span", { "class": "badge" }, s.replace(/_/g, " "));
    b.style.background = c[0]; b.style.borderColor = c[1];
    return b;
  }
  var present = data.statuses.filter(function (s) { return data.counts[s]; });

  function card(key, label, n, c) {
    var d = el("div", { "class": "card", "data-status": key, "data-count": n });
    d.style.background = c[0]; d.style.borderColor = c[1];
    d.appendChild(el("div", { "class": "n" }, n));
    d.appendChild(el("div", { "class": "l" }, label));
    d.addEventListener("click", function () {
      filter.status = (filter.status === key || key === "total") ? "" : key;
      document.getElementById("status-filter").value = filter.status;
      drawTasks();
    });
    return d;
  }
  function drawBoard() {
    var cards = document.getElementById("board-cards");
    cards.appendChild(card("total", "tasks", data.total, ["#eceff1", "#546e7a"]));
    present.forEach(function (s) {
      cards.appendChild(card(s, s.replace(/_/g, " "), data.counts[s], colours(s)));
    });
    cards.appendChild(card("proven", "proven (fresh evidence)", data.counts.proven || 0,
                           ["#e8f5e9", "#1b5e20"]));
    var head = document.getElementById("groups-head"), body = document.getElementById("groups");
    ["kind", "name", "total"].concat(present).concat(["progress"]).forEach(function (h, i) {
      head.appendChild(el("th", { "class": (i === 2 || (i > 2 && h !== "progress"))
        ? "num" : "" }, h.replace(/_/g, " ")));
    });
    data.groups.forEach(function (g) {
      var tr = el("tr", { "class": "group", "data-kind": g.kind, "data-name": g.name,
                          "data-total": g.total });
      tr.appendChild(el("td", {}, g.kind));
      tr.appendChild(el("td", {}, g.name));
      tr.appendChild(el("td", { "class": "num" }, g.total));
      present.forEach(function (s) {
        tr.appendChild(el("td", { "class": "num", "data-status": s,
                                  "data-count": g.counts[s] || 0 }, g.counts[s] || ""));
      });
      var bar = el("div", { "class": "bar" });
      present.forEach(function (s) {
        if (!g.counts[s] || !g.total) { return; }
        var seg = el("span", { "title": s + ": " + g.counts[s] });
        seg.style.width = (100 * g.counts[s] / g.total) + "%";
        seg.style.background = colours(s)[2];
        bar.appendChild(seg);
      });
      var td = el("td"); td.appendChild(bar); tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  function detail(t) {
    var td = el("td", { "colspan": "6" });
    if (!t.evidence.length && !t.events.length) {
      td.appendChild(el("span", { "class": "note" }, "no evidence recorded"));
    }
    if (t.evidence.length) {
      var tb = el("table");
      var hr = el("tr");
      ["item", "criterion", "result", "when", "by / host", "git"].forEach(function (h) {
        hr.appendChild(el("th", {}, h));
      });
      tb.appendChild(hr);
      t.evidence.forEach(function (r) {
        var tr = el("tr", { "class": "evidence" });
        [r.item, r.criterion, r.status, r.at, r.by || r.host, (r.git || "").slice(0, 12)]
          .forEach(function (v) { tr.appendChild(el("td", {}, v === null ? "" : v)); });
        tb.appendChild(tr);
      });
      td.appendChild(tb);
    }
    t.events.forEach(function (e) {
      td.appendChild(el("div", { "class": "event muted" },
        (e.at || "") + "  " + e.action + ": " + e.from + " \u2192 " + e.to + " by " + e.by));
    });
    var tr = el("tr", { "class": "detail" }); tr.appendChild(td); tr.hidden = true;
    return tr;
  }
  function drawTasks() {
    var body = document.getElementById("tasks"), shown = 0;
    body.textContent = "";
    document.querySelectorAll(".card").forEach(function (c) {
      c.classList.toggle("active", c.getAttribute("data-status") === filter.status);
    });
    data.tasks.forEach(function (t) {
      var hay = (t.id + " " + t.title + " " + (t.phase || "")).toLowerCase();
      var st = filter.status === "proven" ? t.proven
        : (!filter.status || t.status === filter.status);
      if (!st || hay.indexOf(filter.text) < 0) { return; }
      shown += 1;
      var tr = el("tr", { "class": "task", "data-id": t.id, "data-status": t.status });
      var idc = el("td", { "class": t.critical ? "crit" : "" }, t.id);
      tr.appendChild(idc);
      tr.appendChild(el("td", {}, t.title));
      var sc = el("td"); sc.appendChild(badge(t.status));
      if (t.proven) { sc.appendChild(el("span", { "class": "muted" }, " \u2714 proven")); }
      tr.appendChild(sc);
      tr.appendChild(el("td", {}, t.phase || ""));
      tr.appendChild(el("td", {}, t.depends_on.join(", ")));
      tr.appendChild(el("td", { "class": "num" }, t.evidence.length));
      var d = detail(t);
      tr.addEventListener("click", function () { d.hidden = !d.hidden; });
      body.appendChild(tr); body.appendChild(d);
    });
    document.getElementById("shown").textContent = shown + " of " + data.total + " shown";
  }
  function drawControls() {
    var sel = document.getElementById("status-filter");
    sel.appendChild(el("option", { "value": "" }, "all statuses"));
    present.concat(["proven"]).forEach(function (s) {
      sel.appendChild(el("option", { "value": s }, s.replace(/_/g, " ")));
    });
    sel.addEventListener("change", function () { filter.status = sel.value; drawTasks(); });
    document.getElementById("search").addEventListener("input", function (ev) {
      filter.text = ev.target.value.toLowerCase(); drawTasks();
    });
  }
  var fit = document.getElementById("graph-fit");
  if (fit) {
    fit.addEventListener("change", function () {
      document.getElementById("graph").classList.toggle("fit", fit.checked);
    });
  }
  drawBoard();
  drawControls();
  drawTasks();
  document.body.setAttribute("data-ready", "1");
})();
"""
