"""The exceptions the generated validators raise: fastjsonschema's, without importing it.

Importing `fastjsonschema` (for its exception classes alone) loads its code generators and
reference resolver, ≈ 5–10 ms of a read command; the generated modules need only these. Same
names, bases and attributes as `fastjsonschema.exceptions` (a test holds them alike)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any


class _DecimalCheck(type):
    def __instancecheck__(cls, value: Any) -> bool:
        decimal = sys.modules.get("decimal")
        return decimal is not None and isinstance(value, decimal.Decimal)


class Decimal(metaclass=_DecimalCheck):
    """What the generated checks test numbers against besides int and float, for
    `decimal.Decimal`, without importing `decimal` (≈ 2.5 ms of a read that checks one
    file): a value is an instance exactly when it is a `decimal.Decimal`, and none can exist
    before something imported that module. No YAML or JSON value taskctl reads is one."""


class JsonSchemaException(ValueError):
    """A document does not pass a compiled check."""


class JsonSchemaValueException(JsonSchemaException):
    """Raised by a validator: `message`, the invalid `value`, its `name` in the document, the
    `definition` it must fulfil and the `rule` it breaks."""

    def __init__(self, message: str, value: Any = None, name: str | None = None,
                 definition: Any = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message, self.value, self.name = message, value, name
        self.definition, self.rule = definition, rule

    @property
    def path(self) -> list[str]:
        import re

        return [item for item in re.split(r"[\.\[\]]+", self.name or "") if item != ""]

    @property
    def rule_definition(self) -> Any:
        if not self.rule or not self.definition:
            return None
        return self.definition.get(self.rule)


class JsonSchemaValuesException(JsonSchemaException):
    """Every failure at once (fastjsonschema's `fast_fail=False`; not used by taskctl)."""

    def __init__(self, errors: list[JsonSchemaValueException]) -> None:
        self.message = "; ".join(error.message for error in errors)
        super().__init__(self.message)
        self.errors = errors
