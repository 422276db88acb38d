"""The content-keyed planning cache: hits, invalidation on any watched change, opt-out."""

from __future__ import annotations

import os

from taskctl.core.plan import cache


def make_tree(tmp_path):
    root = tmp_path / ".tasks"
    (root / "tasks").mkdir(parents=True)
    (root / "tasks" / "T001.yaml").write_text("id: T001\n")
    (root / "manifest.json").write_text("{}")
    return root


def test_roundtrip_and_params_are_part_of_the_key(tmp_path):
    root = make_tree(tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return {"answer": 42}

    assert cache.cached(root, "next", {"weight": "auto"}, compute) == {"answer": 42}
    assert cache.cached(root, "next", {"weight": "auto"}, compute) == {"answer": 42}
    assert len(calls) == 1
    cache.cached(root, "next", {"weight": "hours"}, compute)
    assert len(calls) == 2
    assert sorted(p.name.split("-")[0] for p in (root / ".cache").glob("*.answer")) == [
        "next", "next"]  # one slot per command and parameters


def test_any_watched_change_misses(tmp_path):
    root = make_tree(tmp_path)
    k0 = cache.key(root, "next", {})
    f = root / "tasks" / "T001.yaml"
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # same size, new mtime
    k1 = cache.key(root, "next", {})
    (root / "milestones").mkdir()
    (root / "milestones" / "M1.yaml").write_text("id: M1\n")
    k2 = cache.key(root, "next", {})
    (root / "manifest.json").write_text('{"tasks": []}')
    k3 = cache.key(root, "next", {})
    # any file of the store counts: another dialect may keep its tasks there, and a file
    # that is not read changes the W160 warnings
    (root / "notes.md").write_text("a file beside the task folders")
    k4 = cache.key(root, "next", {})
    (root / ".cache").mkdir()
    (root / ".cache" / "x.json").write_text("{}")
    (root / "evidence").mkdir()
    (root / "evidence" / "T001.json").write_text("{}")
    (root / ".locks").mkdir()  # every write's locks and write-ahead intent: no answer reads them
    (root / ".locks" / "task.T001.lock").write_text("")
    (root / ".locks" / "intent.json").write_text("{}")
    assert len({k0, k1, k2, k3, k4}) == 5
    assert cache.key(root, "next", {}) == k4  # the cache, evidence and locks are not watched


def test_stale_or_corrupt_entries_are_misses(tmp_path):
    root = make_tree(tmp_path)
    k = cache.key(root, "next", {})
    cache.put(root, "next", {}, "stale-key", {"x": 1})
    assert cache.get(root, "next", {}) == (k, None)
    slot = next((root / ".cache").glob("next-*.answer"))
    slot.write_text("{not json")
    assert cache.get(root, "next", {}) == (k, None)


def test_an_answer_is_read_only_when_sealed_by_this_user(tmp_path):
    """A committed (or hand-written) answer with the right key is not printed as the plan:
    answers are sealed like every cache, and a wrong key is refused from the first bytes."""
    import json

    root = make_tree(tmp_path)
    k = cache.key(root, "next", {})
    cache.put(root, "next", {}, k, {"x": 1})
    assert cache.get(root, "next", {}) == (k, {"x": 1})
    slot = next((root / ".cache").glob("next-*.answer"))
    forged = json.dumps({"key": k, "payload": {"x": "forged"}}, separators=(",", ":"))
    slot.write_text(forged)  # the right key, no seal
    assert cache.get(root, "next", {}) == (k, None)
    cache.put(root, "next", {}, "0" * 64, {"x": 2})  # sealed, another key
    assert cache.get(root, "next", {}) == (k, None)
    legacy = slot.with_suffix(".json")  # where earlier versions kept it, unsealed
    legacy.write_text(forged)
    cache.put(root, "next", {}, k, {"x": 3})
    assert not legacy.exists() and cache.get(root, "next", {}) == (k, {"x": 3})


def test_disabled_by_env(tmp_path, monkeypatch):
    root = make_tree(tmp_path)
    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")
    cache.put(root, "next", {}, cache.key(root, "next", {}), {"x": 1})
    assert not (root / ".cache").exists()
    assert cache.get(root, "next", {})[1] is None


def test_disabled_cache_makes_no_key(tmp_path, monkeypatch):
    """TASKCTL_NO_CACHE=1: no walk of the store for a key nothing is stored under, and an
    answer handed to `put` is not even serialised."""
    root = make_tree(tmp_path)
    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")

    def no_walk(_root):
        raise AssertionError("the store was walked for a key")

    monkeypatch.setattr(cache, "fingerprint", no_walk)
    assert cache.get(root, "next", {"weight": "hours"}) == (None, None)
    cache.put(root, "next", {}, None, {"unserialisable": object()})
    assert not (root / ".cache").exists()


def test_the_key_is_the_same_in_every_process_and_inside_one_walk(tmp_path):
    """The key is a digest of the store's listing: another process (the next command) must
    make the same bytes of the same tree, and a read answer's one walk (`treewalk.held`) the
    same key as a walk of its own."""
    import subprocess
    import sys

    from taskctl.core.files import treewalk

    root = make_tree(tmp_path)
    for i in range(40):  # sizes and times past the small ints Python shares
        (root / "tasks" / f"T{i:03d}-x.md").write_text("x" * (300 + i))
    code = ("import sys; from taskctl.core.plan import cache; "
            "print(cache.key(sys.argv[1], 'next', {}))")
    keys = {subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True,
                           text=True, check=True).stdout.strip() for _ in range(2)}
    assert keys == {cache.key(str(root), "next", {})}
    with treewalk.held():
        assert cache.key(str(root), "next", {}) in keys


def test_inside_a_read_answer_the_store_is_fingerprinted_once(tmp_path, monkeypatch):
    """A read answer looks up its drawn output and then its answer: one walk for both; a
    resident process's token stands for the walk; outside a read answer nothing is kept."""
    from taskctl.core.files import treewalk

    root = make_tree(tmp_path)
    calls = []
    real = cache.fingerprint
    monkeypatch.setattr(cache, "fingerprint", lambda r: calls.append(1) or real(r))
    with treewalk.held():
        k1, k2 = cache.key(root, "next", {}), cache.key(root, "list", {})
    assert len(calls) == 1 and k1 != k2
    with treewalk.held():
        cache.pin(root, "server-7")
        k3 = cache.key(root, "next", {})
    assert len(calls) == 1 and k3 != k1
    assert cache.key(root, "next", {}) == k1 and cache.key(root, "next", {}) == k1
    assert len(calls) == 3


def test_a_missed_answer_is_handed_to_the_cutoff_once_and_only_for_its_slot(tmp_path):
    """`get` keeps the earlier answer it read and refused (the early cutoff starts from it,
    `core/plan/replan.py`): taken once, for the same slot and store only, inside a read
    answer and outside one (a thread's last miss)."""
    from taskctl.core.files import treewalk

    root = make_tree(tmp_path)
    cache.put(root, "next", {"weight": "auto"}, "an-earlier-key", {"x": 1})
    name = cache.slot_name("next", {"weight": "auto"})
    blob = cache.get_sealed(root, name)
    assert blob.startswith(b'{"key":"an-earlier-key"')
    for inside in (False, True):
        with treewalk.held() if inside else open(os.devnull):
            assert cache.get(root, "next", {"weight": "auto"})[1] is None
            assert cache.missed(root, cache.slot_name("next", {"weight": "hours"})) is None
            assert cache.get(root, "next", {"weight": "auto"})[1] is None
            assert cache.missed(root, name) == blob
            assert cache.missed(root, name) is None  # taken once
            cache.get(root, "next", {"weight": "auto"})
            assert cache.missed(tmp_path / "elsewhere" / ".tasks", name) is None
    k = cache.key(root, "next", {"weight": "auto"})
    cache.put(root, "next", {"weight": "auto"}, k, {"x": 2})
    assert cache.get(root, "next", {"weight": "auto"}) == (k, {"x": 2})
    assert cache.missed(root, name) is None  # a hit keeps nothing


def test_a_sealed_answer_that_is_no_json_or_too_deep_is_a_miss(tmp_path):
    """Sealed answers are parsed without the limits foreign JSON gets (the seal proves this
    user's taskctl wrote them); what still cannot be parsed is a miss, never an error."""
    root = make_tree(tmp_path)
    k = cache.key(root, "next", {})
    name = cache.slot_name("next", {})
    for payload in (b'{"key":"' + k.encode() + b'",' + b"[" * 100_000,
                    b'{"key":"' + k.encode() + b'","payload":' + b"[" * 100_000 + b"]" * 100_000
                    + b"}", b'{"key":"' + k.encode() + b'","payload":\xff}'):
        cache.put_sealed(root, name, payload)
        assert cache.get(root, "next", {}) == (k, None)
    cache.put_sealed(root, name, b'{"key":"' + k.encode() + b'","payload":[1.5,NaN]}')
    assert cache.get(root, "next", {})[1][0] == 1.5


def test_a_same_size_edit_with_its_time_set_back_misses(tmp_path):
    """`touch -r`, `cp -p`, `rsync -t`, `tar x` put the old mtime back after an edit of the
    same size, in place (same inode): the change time, which only the kernel sets, tells."""
    import time

    root = make_tree(tmp_path)
    f = root / "tasks" / "T001.yaml"
    st = f.stat()
    k0 = cache.key(root, "next", {})
    time.sleep(0.02)  # past the kernel's timestamp tick
    with open(f, "r+") as fh:  # in place: same inode
        fh.write("id: T002\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = f.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        st.st_size, st.st_mtime_ns, st.st_ino)
    assert cache.key(root, "next", {}) != k0


def test_every_read_sees_an_edit_whose_time_was_set_back(copy_example):
    """End to end through the console entry (answers, drawn output, the early cutoff): each
    read after such an edit prints what a run with nothing cached prints."""
    import subprocess
    import sys
    import time

    root = copy_example("agent-mvp")
    env = {**os.environ, "TASKCTL_SERVE": "0", "NO_COLOR": "1", "COLUMNS": "100"}
    reads = (["list"], ["next", "--json"], ["status", "--json"], ["validate", "--json"],
             ["show", "T033"])

    def run(args, **extra):
        return subprocess.run([sys.executable, "-m", "taskctl", "--tasks-dir", str(root),
                               *args], capture_output=True, text=True,
                              env={**env, **extra}).stdout

    for args in reads * 2:  # answers and drawn outputs stored
        run(args)
    f = next((root / "tasks").glob("T033-*"))
    st, text = f.stat(), f.read_text()
    assert "status: pending" in text
    time.sleep(0.02)
    with open(f, "r+") as fh:
        fh.write(text.replace("status: pending", "status: blocked"))  # same size, in place
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    for args in reads:
        assert run(args) == run(args, TASKCTL_NO_CACHE="1"), args
    assert "blocked" in run(["show", "T033"])
