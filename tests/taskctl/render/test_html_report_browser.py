"""The HTML report in a real headless browser (Debian's chromium): it renders, its script runs
without console errors, and the board shows the counts of the loaded backlog.

The session fixture installs chromium with apt-get when /usr/bin/chromium is missing (CI runs as
root) and fails with a clear message when that is impossible.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from taskctl.core import report as report_data
from taskctl.render.html_report import render
from tests.taskctl.core.todo.todo_support import backlog, import_fixture

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]


@pytest.fixture(scope="session")
def chromium() -> str:
    exe = os.environ.get("CHROMIUM") or (CHROMIUM if os.path.exists(CHROMIUM)
                                         else shutil.which("chromium"))
    if exe:
        return exe
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("chromium is not installed and cannot be installed here (needs root and "
                    "apt-get): run `apt-get install -y chromium`, or deselect with -m 'not "
                    "browser'")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "install", "-y", "chromium"], ["apt-get", "update"],
                ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if cmd[1] == "install" and done.returncode == 0:
            break
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"`apt-get install -y chromium` failed:\n{done.stderr[-2000:]}")
    return CHROMIUM


def browse(exe: str, page: Path, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *extra,
                               page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)


def console_problems(stderr: str) -> list[str]:
    """Console output of the page (the report logs nothing) and uncaught exceptions."""
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> tuple[Path, object]:
    tmp = tmp_path_factory.mktemp("report")
    root = tmp / ".tasks"
    import_fixture(root, "research.md")
    import_fixture(root, "infra.md")
    bl = backlog(root)
    page = tmp / "site" / "index.html"
    page.parent.mkdir()
    page.write_text(render(bl, report_data.build(bl, tmp / "runs")))
    return page, bl


def test_report_renders_with_the_right_counts(chromium, report_page):
    page, bl = report_page
    res = browse(chromium, page, "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    assert console_problems(res.stderr) == []
    dom = res.stdout
    assert re.search(r'<body[^>]*data-ready="1"', dom), "the report script did not finish"
    cards = dict(re.findall(r'class="card[^"]*" data-status="(\w+)" data-count="(\d+)"', dom))
    want = {}
    for t in bl.tasks.values():
        want[t.status] = want.get(t.status, 0) + 1
    assert cards.pop("total") == str(len(bl.tasks)) == "85"
    assert cards.pop("proven") == "0"
    assert {k: int(v) for k, v in cards.items()} == want
    assert dom.count('class="group"') == 8 + 2  # 8 phases, 2 milestones
    assert dom.count('class="task"') == 85
    m = re.search(r'data-kind="phase" data-name="Data" data-total="(\d+)"', dom)
    assert m and int(m.group(1)) == sum(t.phase == "Data" for t in bl.tasks.values())
    assert dom.count("<svg") >= 5  # one picture per group of dependent tasks


def test_screenshot_is_not_blank(chromium, report_page, tmp_path):
    page, _ = report_page
    shot = tmp_path / "report.png"
    res = browse(chromium, page, f"--screenshot={shot}", "--window-size=1400,2400")
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    assert console_problems(res.stderr) == []
    from PIL import Image

    img = Image.open(shot).convert("L")
    assert img.size == (1400, 2400)
    lo, hi = img.getextrema()
    assert hi - lo > 100  # text and colour, not an empty page
    assert sum(1 for n in img.resize((70, 120)).histogram() if n) > 20  # grey levels


def test_harness_catches_script_errors(chromium, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>throw new Error('boom')</script></body></html>")
    res = browse(chromium, bad, "--dump-dom")
    assert any("Uncaught Error: boom" in ln for ln in console_problems(res.stderr))


MEASURE = """<script>
(function () {
  // what a reader sees: every label's rendered size and place, per task box
  function box(r) { return [r.left, r.top, r.right, r.bottom]; }
  var texts = Array.prototype.slice.call(document.querySelectorAll("#graph svg text"));
  var out = { texts: texts.map(function (t) {
    var g = t.closest("g.node"), rect = g && g.querySelector("rect");
    return { text: t.textContent, node: g ? g.getAttribute("data-id") : null,
             px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
             box: box(t.getBoundingClientRect()),
             frame: rect ? box(rect.getBoundingClientRect()) : null };
  }), tips: Array.prototype.map.call(document.querySelectorAll("#graph g.node"), function (g) {
    return [g.getAttribute("data-id"), g.querySelector("title").textContent];
  }) };
  var frame = document.getElementById("graph").getBoundingClientRect().width;
  function widest() {
    return Math.max.apply(null, Array.prototype.map.call(
      document.querySelectorAll("#graph svg"), function (s) {
        return s.getBoundingClientRect().width; }));
  }
  out.fit = [widest() / frame];
  document.getElementById("graph-fit").click();  // the "fit to the page" toggle
  out.fit.push(widest() / frame);
  document.body.setAttribute("data-graph", JSON.stringify(out));
})();
</script>"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def test_graph_labels_are_readable(chromium, report_page, tmp_path):
    """Labels of the dependency graph render at >= 11 px, sit inside their own box, overlap no
    other label, and each box's tooltip carries the full title."""
    import html
    import json

    page, bl = report_page
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    res = browse(chromium, probe, "--dump-dom", "--window-size=900,2000")
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'data-graph="([^"]*)"', res.stdout)
    assert m, "the probe did not run"
    got = json.loads(html.unescape(m.group(1)))
    texts = got["texts"]
    assert len(texts) > 2 * 50  # an id and a title line per box, at least
    assert min(t["px"] for t in texts) >= 11, sorted(t["px"] for t in texts)[:5]
    for t in texts:
        assert t["frame"], f"label {t['text']!r} belongs to no task box"
        f, b = t["frame"], t["box"]
        assert f[0] + 2 <= b[0] and b[2] <= f[2] - 2 and f[1] <= b[1] and b[3] <= f[3], t
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not _overlap(a["box"], b["box"]), (a["text"], b["text"])
    before, fitted = got["fit"]  # widest picture / width of the page's graph section
    assert before > 1 >= fitted  # full-size labels scroll; "fit" brings every picture in
    tips = dict(got["tips"])
    linked = {d for t in bl.tasks.values() for d in t.depends_on} | {
        t.id for t in bl.tasks.values() if t.depends_on}
    assert set(tips) == linked  # every task in a picture (alone ones are listed below it)
    for tid, tip in tips.items():
        t = bl.tasks.get(tid)
        if t:
            assert tip.startswith(f"{tid}: {t.title} ({t.status.replace('_', ' ')}")
