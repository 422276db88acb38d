"""`core/records.py` against `dataclasses` itself: the same class body declared both ways
gives the same constructor, repr, equality, hash, `fields`, `replace` and `asdict`."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from taskctl.core import records

NAN = float("nan")  # one object: equal to itself inside a tuple, as a dataclass compares
BODIES = {
    "plain": '''
class C:
    a: int
    b: str = "x"
    c: list = field(default_factory=list)
    d: dict | None = None
    def total(self):
        return self.a + len(self.c)
''',
    "options": '''
class C:
    a: int
    hidden: list = field(default_factory=list, repr=False)
    loose: int = field(default=0, compare=False)
    derived: int | None = field(default=None, init=False, repr=False, compare=False)
''',
    "post_init": '''
class C:
    code: str
    hint: str | None = None
    def __post_init__(self):
        if self.hint is None:
            self.hint = "hint of " + self.code
''',
    "one": '''
class C:
    x: float
''',
    "empty": '''
class C:
    """Nothing in it."""
''',
}


def both(name: str, **options):
    """The body `name` as a dataclass and as a record (same options)."""
    made = []
    for mod in (dataclasses, records):
        ns = {"field": mod.field}
        exec(BODIES[name], ns)
        made.append(mod.dataclass(**options)(ns["C"]) if mod is dataclasses
                    else records.record(**options)(ns["C"]))
    return made


def values(name: str) -> list[dict]:
    return {"plain": [{"a": 1}, {"a": 2, "b": "y", "c": [1], "d": {"k": 1}}],
            "options": [{"a": 1}, {"a": 1, "hidden": [2], "loose": 5}],
            "post_init": [{"code": "E1"}, {"code": "E2", "hint": "mine"}],
            "one": [{"x": 1.5}, {"x": NAN}],  # one compared field, and NaN: a tuple's equality
            "empty": [{}]}[name]


def shape(cls) -> list:
    """`__init__`'s parameters: names, kinds and defaults (not annotations)."""
    return [(p.name, p.kind, repr(p.default)) for p in inspect.signature(cls).parameters.values()]


def hashed(obj):
    try:
        return hash(obj)
    except TypeError as e:
        return str(e)


# every body plain, slotted and frozen (but `post_init`, which assigns: never frozen)
CASES = [(name, options) for name in sorted(BODIES)
         for options in ({}, {"slots": True}, {"frozen": True})
         if not (name == "post_init" and options.get("frozen"))]


@pytest.mark.parametrize(("name", "options"), CASES)
def test_a_record_behaves_as_the_dataclass_of_the_same_body(name, options):
    dc, rc = both(name, **options)
    assert shape(rc) == shape(dc)
    assert [f.name for f in records.fields(rc)] == [f.name for f in dataclasses.fields(dc)]
    assert rc.__match_args__ == dc.__match_args__
    for kw in values(name):
        d, r = dc(**kw), rc(**kw)
        assert repr(r) == repr(d)
        assert records.asdict(r) == dataclasses.asdict(d)
        assert r == rc(**kw) and r != d  # equal to its own kind only, as a dataclass
        assert (r == rc(**kw)) == (d == dc(**kw))
        changed = {k: v for k, v in list(kw.items())[:1]}
        assert repr(records.replace(r, **changed)) == repr(dataclasses.replace(d, **changed))
        assert copy.deepcopy(r) == r and copy.copy(r) == r
        if options.get("frozen"):
            assert hashed(r) == hashed(d)  # a hash of the compared fields (or TypeError)
            with pytest.raises(records.FrozenRecordError):
                r.__setattr__(next(iter(kw), "x"), 1)
            assert isinstance(records.FrozenRecordError(), AttributeError)
        else:
            assert rc.__hash__ is None and dc.__hash__ is None
        if options.get("slots"):
            assert not hasattr(r, "__dict__") and rc.__slots__ == dc.__slots__


@records.record
class Kept:
    a: int
    b: list = records.field(default_factory=list)


@records.record(slots=True)
class Slotted:
    a: int
    b: float = 0.0


@records.record(frozen=True)
class Frozen:
    a: int
    b: str = ""


@pytest.mark.parametrize("obj", [Kept(1, [2]), Slotted(1, 2.5), Frozen(1, "x")])
def test_records_pickle_as_the_process_pool_needs(obj):
    assert pickle.loads(pickle.dumps(obj)) == obj


def test_fields_compare_as_declared():
    _dc, rc = both("options")
    assert rc(1, loose=1) == rc(1, loose=2)  # compare=False
    assert rc(1, hidden=[1]) != rc(1, hidden=[2])
    r = rc(1)
    assert r.derived is None and "derived" not in repr(r) and "hidden" not in repr(r)
    with pytest.raises(ValueError, match="init=False"):
        records.replace(r, derived=3)


def test_default_factories_give_each_instance_its_own_value():
    _dc, rc = both("plain")
    one, two = rc(1), rc(2)
    one.c.append(1)
    assert two.c == [] and rc.b == "x" and "c" not in rc.__dict__


def test_asdict_follows_records_inside_containers_and_copies_the_rest():
    @records.record
    class Inner:
        v: list

    @records.record
    class Outer:
        items: list
        by: dict
        pair: tuple

    inner = Inner([1])
    out = records.asdict(Outer([inner], {"k": inner}, (inner, 2)))
    assert out == {"items": [{"v": [1]}], "by": {"k": {"v": [1]}}, "pair": ({"v": [1]}, 2)}
    assert out["items"][0]["v"] is not inner.v  # deep-copied, as dataclasses.asdict


@pytest.mark.parametrize(("body", "error"), [
    ("class C:\n    a: int = 1\n    b: int\n", "non-default field 'b' follows a default"),
    ("class C:\n    a: list = []\n", "mutable default"),
    ("class C:\n    a: ClassVar[int] = 1\n", "not supported"),
])
def test_what_a_dataclass_refuses_a_record_refuses(body, error):
    ns = {}
    exec("from __future__ import annotations\n" + body, ns)
    with pytest.raises((TypeError, ValueError), match=error):
        records.record(ns["C"])


def test_records_do_not_inherit_and_are_not_both_frozen_and_slotted():
    @records.record
    class Base:
        a: int

    with pytest.raises(TypeError, match="inherit"):
        @records.record
        class Child(Base):
            b: int

    with pytest.raises(TypeError, match="not both"):
        @records.record(frozen=True, slots=True)
        class Both:
            a: int


def test_the_helpers_refuse_what_is_not_a_record():
    with pytest.raises(TypeError):
        records.fields(object())
    with pytest.raises(TypeError):
        records.asdict(records.record(type("C", (), {"__annotations__": {}})))
    assert not records.is_record(1) and records.is_record(both("plain")[1])


def test_generated_inits_are_compiled_once_then_read_back(tmp_path, monkeypatch):
    """The `__init__` code of a record is kept beside the bytecode: a later process reads it
    instead of compiling; a damaged or foreign file is compiled around, never trusted."""
    path = tmp_path / "records-init.marshal"
    compiled = []
    monkeypatch.setattr(records, "_codes_path", lambda: str(path))
    monkeypatch.setattr(records, "compile",
                        lambda *a: compiled.append(a[0]) or compile(*a), raising=False)
    monkeypatch.setattr(records.sys, "dont_write_bytecode", False)

    def make():
        @records.record(frozen=True)
        class Point:
            x: int
            y: int = 2
            tags: list = records.field(default_factory=list)

        return Point

    def fresh_process():
        monkeypatch.setattr(records, "_CODES", None)
        compiled.clear()

    fresh_process()
    assert make()(1).y == 2 and len(compiled) == 1 and path.is_file()
    fresh_process()
    p = make()(1, 3)
    assert compiled == [] and (p.x, p.y, p.tags) == (1, 3, [])  # read back, not compiled
    import marshal
    import zlib

    version, codes = marshal.loads(path.read_bytes()[4:])
    payload = marshal.dumps((version, {k: "raise SystemExit(3)" for k in codes}))
    not_code = zlib.crc32(payload).to_bytes(4, "big") + payload
    good = path.read_bytes()
    flipped = good[:len(good) // 2] + bytes([good[len(good) // 2] ^ 0x20]) + good[
        len(good) // 2 + 1:]  # still decodes as marshal: the checksum refuses it
    for damage in (b"garbage", good[:40], b"", not_code, flipped):
        path.write_bytes(damage)
        fresh_process()
        assert make()(5).x == 5 and len(compiled) == 1  # compiled again, file rewritten
    monkeypatch.setattr(records.sys, "version", "another interpreter")
    fresh_process()
    assert make()(5).x == 5 and len(compiled) == 1
    path.unlink()
    monkeypatch.setattr(records.sys, "dont_write_bytecode", True)
    fresh_process()
    assert make()(5).x == 5 and not path.exists()  # PYTHONDONTWRITEBYTECODE: nothing written
