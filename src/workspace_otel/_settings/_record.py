"""``Record``: a ``typing.NamedTuple`` whose field annotations are not evaluated at import.

``class X(typing.NamedTuple)`` checks every field's annotation when the class
is created; with postponed annotations each one is a string, and checking it
builds a ``typing.ForwardRef``, which compiles that string. The settings'
records have about fifty fields, so that was some fifty compiles on every
start (about 8 million instructions, nearly 1 % of a start). ``Record`` builds the
same ``collections.namedtuple`` subclass from the class body and keeps the
annotations as the strings they are. Type checkers see ``typing.NamedTuple``
itself, so the fields stay typed.

What the class body may hold is what ``typing.NamedTuple`` allows: annotated
fields (those with a default after those without), methods, properties and a
docstring. Methods may not use ``super()`` or ``__class__``.
"""

from __future__ import annotations

import collections

TYPE_CHECKING = False  # typing is not imported here at run time
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Record"]

# Class-body names that describe the class rather than become its attributes.
_SPECIAL = frozenset(
    {
        "__module__",
        "__qualname__",
        "__annotations__",
        "__doc__",
        "__orig_bases__",
    }
)
# What namedtuple defines and a record must not replace (as typing.NamedTuple refuses).
_PROHIBITED = frozenset(
    {
        "__new__",
        "__init__",
        "__slots__",
        "__getnewargs__",
        "_fields",
        "_field_defaults",
        "_make",
        "_replace",
        "_asdict",
        "_source",
    }
)


class _RecordType(type):
    """Turns a ``class X(Record)`` body into a namedtuple subclass."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> _RecordType:
        if not bases:  # Record itself
            return super().__new__(mcls, name, bases, namespace)
        if len(bases) != 1:
            raise TypeError(f"{name}: a Record subclasses Record alone")
        if "__classcell__" in namespace:
            raise TypeError(f"{name}: a Record's methods cannot use super() or __class__")
        annotations: dict[str, Any] = dict(namespace.get("__annotations__", {}))
        if not annotations:  # a Python that stopped storing them would give an empty record
            raise TypeError(f"{name}: a Record needs annotated fields in its class body")
        fields = list(annotations)
        defaults = [namespace[field] for field in fields if field in namespace]
        if any(field in namespace for field in fields[: len(fields) - len(defaults)]):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        # The untyped form on purpose: the typed one is what compiles the annotations.
        make: Any = collections.namedtuple  # built from a class body: mypy cannot follow
        record = make(name, fields, defaults=defaults, module=namespace["__module__"])
        record.__qualname__ = namespace["__qualname__"]
        record.__annotations__ = annotations
        record.__new__.__annotations__ = annotations
        if namespace.get("__doc__"):
            record.__doc__ = namespace["__doc__"]
        for key, value in namespace.items():
            if key in _PROHIBITED:
                raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {key}")
            if key not in _SPECIAL and key not in annotations:
                setattr(record, key, value)
                set_name = getattr(type(value), "__set_name__", None)
                if set_name is not None:  # as class creation (and typing) would
                    set_name(value, record, key)
        return record  # type: ignore[no-any-return]  # a namedtuple class, as typing returns


if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:

    class Record(metaclass=_RecordType):
        """Base of the settings' records: ``typing.NamedTuple`` for readers and type checkers."""

        __slots__ = ()
