"""Records: the classes a read command builds (the model, problems, plans), declared like
dataclasses but made without importing `dataclasses`.

Why not `dataclasses` here: it imports `inspect` (and with it `ast`, `dis`, `tokenize`), and
decorating a class compiles three functions one by one; on the read path's 23 classes that
is ≈ 20 ms of a ≈ 45 ms interpreter start-up, paid by every command that parses a task file
(docs/taskctl-performance.md, part 20). `@record` reads the same class body (annotations,
defaults, `field(...)`), compiles `__init__` (the only method run per instance) and builds
`__repr__` and `__eq__` from the field names without compiling anything, with the
dataclass semantics the code relies on: defaults and default factories, `__post_init__`,
`frozen` (immutable, hashable), `slots`, `repr=False` / `compare=False` / `init=False`
fields. `fields`, `replace` and `asdict` mirror their `dataclasses` namesakes;
`tests/taskctl/core/test_records.py` checks them against `dataclasses` itself. Classes off the
read path (verify, render, write) stay plain dataclasses.

Not supported (never needed here; the decorator refuses them): inheritance between records,
`ClassVar`/`InitVar` annotations, a record both frozen and slotted. Nor offered: `order=True`,
keyword-only fields, `__repr__`'s guard against a record that contains itself.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from operator import attrgetter

__all__ = ["FrozenRecordError", "asdict", "field", "fields", "is_record", "record", "replace"]

_MISSING = object()


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # in `__init__`'s signature, as a dataclass shows it


_FACTORY = _Factory()  # the default of an argument whose field has a default factory
_ATOMIC = (str, int, float, bool, bytes, type(None))


class FrozenRecordError(AttributeError):
    """A field of a frozen record was assigned or deleted (as `dataclasses.FrozenInstanceError`)."""


class Field:
    """One field of a record: its name and how `__init__`, `__repr__` and `__eq__` treat it."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare")

    def __init__(self, default=_MISSING, default_factory=_MISSING, init=True, repr=True,
                 compare=True):
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("a field cannot have both a default and a default_factory")
        self.name = ""
        self.default, self.default_factory = default, default_factory
        self.init, self.repr, self.compare = init, repr, compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r})"


def field(*, default=_MISSING, default_factory=_MISSING, init=True, repr=True, compare=True):
    """A field's options, as `dataclasses.field` (`default_factory=list` for a fresh list)."""
    return Field(default, default_factory, init, repr, compare)


def record(cls=None, /, *, frozen: bool = False, slots: bool = False):
    """Make `cls` a record: `@record`, `@record(frozen=True)` or `@record(slots=True)`."""
    if cls is None:
        return lambda c: _make(c, frozen, slots)
    return _make(cls, frozen, slots)


def _make(cls, frozen: bool, slots: bool):
    if frozen and slots:
        raise TypeError(f"{cls.__name__}: a record is frozen or slotted, not both")
    if any(hasattr(b, "__record_fields__") for b in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: records do not inherit from records")
    own = cls.__dict__.get("__annotations__", {})
    fs: list[Field] = []
    for name, kind in own.items():
        if isinstance(kind, str) and kind.split(".")[-1].startswith(("ClassVar", "InitVar")):
            raise TypeError(f"{cls.__name__}.{name}: {kind} is not supported by records")
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        if isinstance(f.default, (list, dict, set)):
            raise ValueError(f"{cls.__name__}.{name}: a mutable default is shared by every "
                             "instance; use field(default_factory=...)")
        f.name = name
        if isinstance(value, Field):  # the class keeps a plain default, as a dataclass does
            if f.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        fs.append(f)
    _check_order(cls, fs)
    ns = {"_MISSING": _MISSING, "_FACTORY": _FACTORY, "_set": object.__setattr__}
    exec(_compiled(_init_src(cls, fs, frozen, ns)), ns)  # `__init__` runs per instance
    shown = tuple(f.name for f in fs if f.repr)
    get = _getter(tuple(f.name for f in fs if f.compare))
    body = {"__record_fields__": tuple(fs), "__init__": ns["__init__"],
            "__repr__": _repr(shown), "__eq__": _eq(get),
            "__hash__": (lambda self: hash(get(self))) if frozen else None,
            "__match_args__": tuple(f.name for f in fs if f.init)}
    if frozen:
        body["__setattr__"], body["__delattr__"] = _frozen(cls, {f.name for f in fs})
    if slots:
        return _slotted(cls, fs, body)
    for k, v in body.items():
        if k == "__hash__" and "__hash__" in cls.__dict__ and not frozen:
            continue  # a hash written by hand stays (dataclass: the same with eq=True)
        setattr(cls, k, v)
    _name_methods(cls, body)
    return cls


_CODES: dict | None = None  # generated `__init__` source -> its code (see _compiled)


def _codes_path() -> str | None:
    if sys.pycache_prefix or not sys.implementation.cache_tag:
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "__pycache__",
                        f"records-init.{sys.implementation.cache_tag}.marshal")


def _compiled(src: str):
    """The code of a generated `__init__`: compiling one costs ≈ 0.3 ms, 23 of them on the
    read path ≈ 6 ms of every cold command, so they are kept beside the module's own
    bytecode (`__pycache__`, trusted as the .pyc files there are; keyed by the source text
    and the interpreter's version, behind a CRC-32 of its bytes; not written when Python
    writes no bytecode)."""
    global _CODES
    if _CODES is None:
        _CODES = _load(_codes_path())
    code = _CODES.get(src)
    if code is None:
        if len(_CODES) >= _MOST:  # sources of older versions of the code: start again
            _CODES.clear()
        code = _CODES[src] = compile(src, "<record>", "exec")
        _store(_codes_path())
    return code


_MOST = 512
_CODE_TYPE = type(_codes_path.__code__)


def _load(path: str | None) -> dict:
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:  # noqa: PTH123 - import cost
            data = f.read()
        # a checksum first: marshal decodes damaged bytes into code that runs (or crashes)
        if len(data) < 4 or zlib.crc32(data[4:]).to_bytes(4, "big") != data[:4]:
            return {}
        version, codes = marshal.loads(data[4:])
        if version != sys.version or not isinstance(codes, dict):
            return {}  # another interpreter's
        return {k: v for k, v in codes.items()
                if isinstance(k, str) and isinstance(v, _CODE_TYPE)}
    except Exception:  # noqa: BLE001 - none yet, unreadable or damaged: compiled again
        return {}


def _store(path: str | None) -> None:
    if path is None or sys.dont_write_bytecode:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        payload = marshal.dumps((sys.version, _CODES))
        with open(tmp, "wb") as f:  # noqa: PTH123 - import cost
            f.write(zlib.crc32(payload).to_bytes(4, "big") + payload)
        os.replace(tmp, path)  # whole or not at all: readers never see half a file
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _name_methods(cls, body: dict) -> None:
    for k in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        fn = body.get(k)
        if fn is not None:
            fn.__name__, fn.__qualname__ = k, f"{cls.__qualname__}.{k}"


def _check_order(cls, fs: list[Field]) -> None:
    seen_default = False
    for f in fs:
        if not f.init:
            continue
        has = f.default is not _MISSING or f.default_factory is not _MISSING
        if seen_default and not has:
            raise TypeError(f"{cls.__name__}: non-default field {f.name!r} follows a default")
        seen_default = seen_default or has


def _init_src(cls, fs: list[Field], frozen: bool, ns: dict) -> str:
    args, lines = ["self"], []
    for f in fs:
        value = f.name
        if f.default_factory is not _MISSING:
            ns[f"_f_{f.name}"] = f.default_factory
            if f.init:
                args.append(f"{f.name}=_FACTORY")
                value = f"_f_{f.name}() if {f.name} is _FACTORY else {f.name}"
            else:
                value = f"_f_{f.name}()"
        elif f.init:
            if f.default is not _MISSING:
                ns[f"_d_{f.name}"] = f.default
                args.append(f"{f.name}=_d_{f.name}")
            else:
                args.append(f.name)
        elif f.default is not _MISSING:
            ns[f"_d_{f.name}"] = f.default
            value = f"_d_{f.name}"
        else:
            continue  # init=False without a default: left unset, as a dataclass does
        lines.append(f"    _set(self, {f.name!r}, {value})" if frozen
                     else f"    self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        lines.append("    self.__post_init__()")
    return f"def __init__({', '.join(args)}):\n" + ("\n".join(lines) or "    pass")


def _getter(names: tuple[str, ...]):
    """The compared fields of a record, as a tuple (`attrgetter` returns a bare value for
    one name: a tuple compares `nan` to itself, as a dataclass's equality does)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _repr(names: tuple[str, ...]):
    def __repr__(self):
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{self.__class__.__qualname__}({inner})"
    return __repr__


def _eq(get):
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return get(self) == get(other)
        return NotImplemented
    return __eq__


def _frozen(cls, names: set[str]):
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenRecordError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenRecordError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return __setattr__, __delattr__


def _slotted(cls, fs: list[Field], body: dict):
    """A new class with `__slots__` for the fields (defaults live in `__init__` then)."""
    names = tuple(f.name for f in fs)
    d = {k: v for k, v in cls.__dict__.items() if k not in names
         and k not in ("__dict__", "__weakref__")}
    d.update(body, __slots__=names)
    new = type(cls)(cls.__name__, cls.__bases__, d)
    new.__qualname__ = cls.__qualname__
    _name_methods(new, body)
    return new


def is_record(obj) -> bool:
    """Whether `obj` is a record class or an instance of one."""
    return hasattr(obj if isinstance(obj, type) else type(obj), "__record_fields__")


def fields(obj) -> tuple[Field, ...]:
    """The fields of a record (class or instance), in declaration order."""
    try:
        return (obj if isinstance(obj, type) else type(obj)).__record_fields__
    except AttributeError:
        raise TypeError("fields() needs a record class or instance") from None


def replace(obj, /, **changes):
    """A new record like `obj` with `changes` (its `__init__` and `__post_init__` run)."""
    for f in fields(obj):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name!r} is init=False: replace() cannot set it")
        elif f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return type(obj)(**changes)


def asdict(obj) -> dict:
    """A record as a dict, records inside it too (lists, tuples and dicts followed; other
    values deep-copied), as `dataclasses.asdict`."""
    if not is_record(obj) or isinstance(obj, type):
        raise TypeError("asdict() needs a record instance")
    return _plain(obj)


def _plain(v):
    if isinstance(v, _ATOMIC):
        return v
    if is_record(v) and not isinstance(v, type):
        return {f.name: _plain(getattr(v, f.name)) for f in fields(v)}
    if isinstance(v, tuple) and hasattr(v, "_fields"):
        return type(v)(*[_plain(x) for x in v])
    if isinstance(v, (list, tuple)):
        return type(v)(_plain(x) for x in v)
    if isinstance(v, dict):
        return type(v)((_plain(k), _plain(x)) for k, x in v.items())
    import copy

    return copy.deepcopy(v)
