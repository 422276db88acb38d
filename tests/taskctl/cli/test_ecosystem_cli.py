"""`taskctl import / export / report` through the real entry point (in-process)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "todo"

VERIFIED_TASK = """---
id: V001
title: Verified by a command
status: pending
phase: Checks
acceptance:
  - criterion: true exits 0
    run: "true"
---

## Description
Proven work.
"""


@pytest.fixture
def imported(tmp_path, taskctl):
    """Both fixture lists imported into tmp/.tasks (created by the first import)."""
    for name in ("research.md", "infra.md"):
        r = taskctl(["import", FIXTURES / name, "--json"], cwd=tmp_path)
        assert r.code == 0, r.err
    return tmp_path


def _embedded(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page,
                  re.S)
    return json.loads(m.group(1))


def test_import_both_then_validate_next_status_report(imported, taskctl):
    r = taskctl(["validate", "--json"], cwd=imported)
    assert r.code == 0 and r.json()["ok"] and r.json()["tasks"] == 85
    assert r.json()["summary"] == {"errors": 0, "warnings": 0}
    nxt = taskctl(["next", "--json"], cwd=imported)
    assert nxt.code == 0 and nxt.out.strip()
    st = taskctl(["status", "--json"], cwd=imported).json()
    assert st["by_status"] == {"pending": 56, "in_progress": 2, "completed_unverified": 27}
    assert len(st["unverified"]) == 27
    rep = taskctl(["report", "--html", imported / "site", "--json"], cwd=imported)
    assert rep.code == 0, rep.err
    assert rep.json()["counts"]["completed_unverified"] == 27
    page = (imported / "site" / "index.html").read_text()
    assert "<svg" in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"',
                                                            "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from a network
    data = _embedded(page)
    assert data["total"] == 85 and data["counts"]["pending"] == 56


def test_import_json_contract_and_dry_run(tmp_path, taskctl):
    r = taskctl(["import", FIXTURES / "infra.md", "--dry-run", "--json"], cwd=tmp_path)
    doc = r.json()
    assert r.code == 0 and doc["schema_version"] == 1 and doc["dry_run"] and not doc["written"]
    assert len(doc["created"]) == 41 and doc["milestones_created"][0]["id"] == "M1"
    assert not (tmp_path / ".tasks").exists()  # a dry run writes nothing
    r = taskctl(["import", FIXTURES / "infra.md"], cwd=tmp_path)
    assert r.code == 0 and "41 created" in r.out
    again = taskctl(["import", FIXTURES / "infra.md"], cwd=tmp_path)
    assert "0 created, 0 updated, 41 unchanged" in again.out


def test_import_into_explicit_tasks_dir(tmp_path, taskctl):
    target = tmp_path / "proj" / ".tasks"
    r = taskctl(["import", FIXTURES / "research.md", "--tasks-dir", target, "--prefix", "R"],
                cwd=tmp_path)
    assert r.code == 0, r.err
    assert (target / "tasks").is_dir() and (target / "manifest.json").is_file()
    assert sorted(p.name[:4] for p in (target / "tasks").iterdir())[0] == "R001"


@pytest.mark.parametrize("args,needle", [
    (["import", "missing.md"], "no such file"),
    (["import", "x.md", "--prefix", "1bad"], "bad --prefix"),
    (["export", "--format", "csv"], "unknown export format"),
])
def test_usage_errors_exit_2(tmp_path, taskctl, args, needle):
    (tmp_path / ".tasks").mkdir()
    r = taskctl(args, cwd=tmp_path)
    assert r.code == 2 and needle in r.err


def test_export_ticks_only_proven_tasks(imported, taskctl):
    root = imported / ".tasks"
    (root / "tasks" / "V001-verified.md").write_text(VERIFIED_TASK)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["tasks"].append({"id": "V001", "file": "tasks/V001-verified.md"})
    (root / "manifest.json").write_text(json.dumps(manifest))
    assert taskctl(["sync", "--write"], cwd=imported).code == 0
    assert taskctl(["keys", "trust"], cwd=imported).code == 0  # proof = evidence of a trusted key
    assert taskctl(["verify", "V001"], cwd=imported).code == 0
    out = imported / "PROGRESS.md"
    r = taskctl(["export", "--format", "md", "--output", out], cwd=imported)
    assert r.code == 0
    text = out.read_text()
    ticked = [ln for ln in text.splitlines() if ln.lstrip().startswith("- [x]")]
    assert ticked == ["- [x] Verified by a command <!-- taskctl:V001 completed proven -->"]
    assert "Progress: 1 of 86 task(s) proven; 27 completed but unverified" in text
    # round trip through the CLI: nothing changes
    r = taskctl(["import", out, "--json"], cwd=imported)
    assert r.json()["created"] == [] and r.json()["updated"] == []
    # the report shows V001's evidence history
    taskctl(["report", "--html", imported / "site"], cwd=imported)
    data = _embedded((imported / "site" / "index.html").read_text())
    v = next(t for t in data["tasks"] if t["id"] == "V001")
    assert v["proven"] and len(v["evidence"]) == 1 and v["evidence"][0]["status"] == "PASS"
    assert [e["to"] for e in v["events"]] == ["completed"]


def test_report_with_training_runs(imported, taskctl):
    run = imported / "runs" / "tiny"
    run.mkdir(parents=True)
    lines = [{"step": s, "loss": 5.0 / s, "lr": 1e-3, "grad_norm": 1.0,
              "tokens_per_sec": 1000.0 + s} for s in range(1, 21)]
    lines.append({"step": 20, "val_loss": 0.4, "val_ppl": 1.5, "val_acc": 0.9})
    run.joinpath("metrics.jsonl").write_text(
        "\n".join(json.dumps(x) for x in lines) + "\n{torn")
    r = taskctl(["report", "--html", imported / "site", "--json"], cwd=imported)
    assert r.json()["runs"] == ["tiny"]
    page = (imported / "site" / "index.html").read_text()
    assert 'src=\'data:image/png;base64,' in page and "data-run='tiny'" in page
    data = _embedded(page)
    assert data["runs"][0]["median_tokens_per_sec"] == pytest.approx(1010.5)
    assert data["runs"][0]["best_val_loss"] == 0.4
