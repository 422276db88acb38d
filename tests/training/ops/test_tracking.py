"""Tracker protocol, JSONL backend, optional backends' errors, the Observer adapter, compare."""

from __future__ import annotations

import json
import math
import sys

import pytest

from tests.training.conftest import micro_config
from training.cli import main
from training.errors import UsageError
from training.ops.tracking import (
    JsonlTracker,
    TensorBoardTracker,
    Tracker,
    TrackerObserver,
    WandbTracker,
    compare,
    make_tracker,
    read_events,
    render_compare,
    run_params,
)

pytestmark = pytest.mark.training


def test_factory_rejects_unknown_backend_with_choices(tmp_path):
    with pytest.raises(UsageError) as err:
        make_tracker("mlflow", tmp_path)
    assert "unknown tracker 'mlflow'" in str(err.value)
    assert all(k in str(err.value) for k in ("jsonl", "tensorboard", "wandb"))


def test_trackers_satisfy_the_protocol(tmp_path):
    for cls in (JsonlTracker, TensorBoardTracker, WandbTracker):
        assert all(callable(getattr(cls, m, None)) for m in ("log_params", "log_metrics",
                                                             "close")), cls
    tracker = make_tracker("jsonl", tmp_path)
    assert isinstance(tracker, Tracker)
    tracker.close()


def test_jsonl_tracker_round_trip(tmp_path):
    t = make_tracker("jsonl", tmp_path)
    t.log_params({"lr": 0.1})
    for step in (1, 2, 3):
        t.log_metrics(step, {"loss": 1.0 / step, "bad": math.nan})
    t.close()
    events = read_events(tmp_path)
    assert events[0]["event"] == "params" and events[0]["params"] == {"lr": 0.1}
    metrics = events[1:]
    assert [e["step"] for e in metrics] == [1, 2, 3]
    assert metrics[1]["values"] == {"loss": 0.5, "bad": None}
    assert all(e["kind"] == "train" for e in metrics)


@pytest.mark.parametrize(("kind", "package"), [("tensorboard", "tensorboardX"),
                                                ("wandb", "wandb")])
def test_optional_backends_fail_clearly_when_missing(tmp_path, monkeypatch, kind, package):
    monkeypatch.setitem(sys.modules, package, None)  # import now raises ImportError
    with pytest.raises(UsageError) as err:
        make_tracker(kind, tmp_path)
    assert f"needs the {package!r} package" in str(err.value)
    assert err.value.hint.startswith(f"pip install {package}")


def test_tensorboard_writes_event_files(tmp_path):
    t = make_tracker("tensorboard", tmp_path)
    t.log_metrics(1, {"loss": 2.0})
    t.close()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    from training.train import RunOptions, train_and_evaluate

    run_dir = tmp_path_factory.mktemp("tracked")
    cfg = micro_config(steps=4, eval_every=2, exact_match_examples=2)
    tracker = JsonlTracker(run_dir)
    observer = TrackerObserver(tracker, lambda: run_params(run_dir))
    train_and_evaluate(cfg, run_dir, RunOptions(device="cpu"), observer)
    tracker.close()
    return run_dir


def test_training_streams_metrics_to_tracker(tracked_run):
    run_dir = tracked_run
    events = [e for e in read_events(run_dir) if e["event"] == "metrics"]
    train = [e["step"] for e in events if e["kind"] == "train"]
    evals = [e["step"] for e in events if e["kind"] == "eval"]
    assert train == [1, 2, 3, 4] and evals == [2, 4]
    assert {"loss", "lr", "grad_norm"} <= events[0]["values"].keys()
    assert "val_loss" in [e for e in events if e["kind"] == "eval"][0]["values"]


def test_params_record_holds_config_and_provenance(tracked_run):
    run_dir = tracked_run
    first = read_events(run_dir)[0]
    assert first["event"] == "params"
    p = first["params"]
    cfg = json.loads((run_dir / "config.json").read_text())
    assert p["config_hash"] == cfg["config_hash"] and p["config"]["steps"] == 4
    assert (p["start_step"], p["end_step"]) == (0, 4)
    assert p["seed"] == 0 and p["device"]["platform"] == "cpu"
    assert "git_sha" in p and p["dataset"]["name"] == "golden-v3"


def _fake_run(path, lr, losses):
    path.mkdir()
    cfg = {"lr": lr, "steps": len(losses)}
    (path / "config.json").write_text(json.dumps({"config": cfg, "config_hash": f"h{lr}"}))
    lines = [{"step": i + 1, "loss": v} for i, v in enumerate(losses)]
    lines.append({"step": len(losses), "val_loss": losses[-1] + 0.1})
    (path / "metrics.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def test_compare_lists_runs_and_differing_keys(tmp_path, capsys):
    a = _fake_run(tmp_path / "a", 0.1, [3.0, 2.0])
    b = _fake_run(tmp_path / "b", 0.2, [3.0, 1.5])
    rows, differing = compare([a, b])
    assert differing == ["lr"] and [r["final_loss"] for r in rows] == [2.0, 1.5]
    text = render_compare(rows, differing)
    assert "differing keys: lr" in text and "h0.1" in text and "h0.2" in text
    assert main(["tracking", "compare", str(a), str(b)]) == 0
    assert "differing keys: lr" in capsys.readouterr().out
    assert main(["tracking", "compare", str(tmp_path / "nope")]) == 2
