"""Search spaces, run_many and a real two-trial grid search on micro shapes."""

from __future__ import annotations

import json

import pytest

from tests.training.conftest import MICRO, micro_config
from training.cli import main
from training.errors import UsageError
from training.ops.hpsearch import parse_space, trials

pytestmark = pytest.mark.training


def test_grid_space_is_cartesian_and_random_is_seeded():
    space = parse_space(["lr=1e-3,3e-3", "warmup_steps=1,2,3"])
    grid = trials(space)
    assert len(grid) == 6 and {"lr": "3e-3", "warmup_steps": "2"} in grid
    assert trials(space, "grid", 2) == grid[:2]
    r1, r2 = trials(space, "random", 5, seed=7), trials(space, "random", 5, seed=7)
    assert r1 == r2 and all(t in grid for t in r1)
    assert trials(space, "random", 5, seed=8) != r1 or len(grid) == 1
    for bad in (["lr"], ["lr="], ["=1"]):
        with pytest.raises(UsageError):
            parse_space(bad)
    with pytest.raises(UsageError, match="needs --trials"):
        trials(space, "random")


def test_run_many_writes_one_dir_and_summary_per_run(tmp_path):
    from training.ops.pipeline import run_many

    cfgs = [micro_config(steps=2, seed=s, exact_match_examples=2) for s in (0, 1)]
    rows = run_many(cfgs, tmp_path)
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert {p.name for p in tmp_path.iterdir() if p.is_dir()} == {"run-000", "run-001"}
    lines = [json.loads(x) for x in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert [x["name"] for x in lines] == ["run-000", "run-001"]
    assert lines[0]["config"]["seed"] == 0 and lines[1]["config"]["seed"] == 1
    assert lines[0]["final_loss"] != lines[1]["final_loss"]


def test_search_ranks_trials_and_writes_best(tmp_path, capsys):
    sets = [x for k, v in MICRO.items() for x in ("--set", f"{k}={v}")]
    code = main(["hpsearch", "--space", "lr=1e-9,3e-3", "--steps", "3", "--out", str(tmp_path),
                 "--device", "cpu", *sets, "--set", "exact_match_examples=2", "--set", "min_lr=0"])
    assert code == 0, capsys.readouterr().err
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["trials"] == 2 and len(best["ranking"]) == 2
    scores = [r["score"] for r in best["ranking"]]
    assert scores == sorted(scores)
    assert best["best"]["overrides"] == {"lr": "3e-3"}  # lr=1e-9 cannot learn in 3 steps
    assert capsys.readouterr().out.startswith("best: trial-001")
