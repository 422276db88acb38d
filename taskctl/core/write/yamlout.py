"""YAML out: the one dumper for the front matter and files taskctl writes.

Safe dumping only; `StrEnum` members (the status vocabulary) are written as plain strings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_multi_representer(
    StrEnum, lambda d, v: d.represent_str(str(v)))


def dump(data: dict[str, Any]) -> str:
    """Block-style YAML, keys in the order given, Unicode kept, lines up to 100 columns."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
