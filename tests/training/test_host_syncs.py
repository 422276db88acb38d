"""The step loop never waits on the device between sync points (log, eval, save, last).

Instrumented for real: every device-to-host read of a ``jax.Array`` (``float(x)``,
``np.asarray(x)``, ``jax.device_get``, ``.item()``) goes through ``ArrayImpl._value``; the
test counts those reads on the training thread between consecutive step dispatches.
(``jax.transfer_guard`` cannot do this on CPU: there device arrays are already host memory
and the guard never fires.)
"""

from __future__ import annotations

import threading

import pytest

from tests.training.conftest import micro_config
from training.train import RunOptions, train_and_evaluate

pytestmark = pytest.mark.training


def test_no_host_sync_between_log_points(tmp_path, monkeypatch):
    from jax._src.array import ArrayImpl

    import training.loop as loop_mod

    main = threading.get_ident()
    reads = [0]
    dispatch_marks: list[int] = []  # reads counted when each step was dispatched
    original_value = ArrayImpl._value

    def counting_value(self):
        if threading.get_ident() == main:
            reads[0] += 1
        return original_value.fget(self)

    real_make = loop_mod.make_train_step

    def counting_make(*args, **kwargs):
        step_fn = real_make(*args, **kwargs)

        def dispatch(state, *batch):
            dispatch_marks.append(reads[0])
            return step_fn(state, *batch)

        return dispatch

    monkeypatch.setattr(ArrayImpl, "_value", property(counting_value))
    monkeypatch.setattr(loop_mod, "make_train_step", counting_make)
    cfg = micro_config(steps=12, log_every=4, eval_every=0, save_every_steps=6)
    result = train_and_evaluate(cfg, tmp_path, RunOptions(device="cpu"))

    assert len(dispatch_marks) == 12
    # reads between dispatching step s and step s+1 happened after step s
    per_step = {s: dispatch_marks[s] - dispatch_marks[s - 1] for s in range(1, 12)}
    sync_points = {4, 6, 8}  # log every 4, save every 6 (12 = last: after the loop)
    assert {s: n for s, n in per_step.items() if s not in sync_points} == \
        dict.fromkeys(set(range(1, 12)) - sync_points, 0)
    assert all(per_step[s] > 0 for s in sync_points)
    # the loss of every step still arrives (fetched in one batch at each sync point)
    assert sorted(result.losses) == list(range(1, 13))
