"""``Record``: a ``typing.NamedTuple`` built without compiling anything at import.

``class X(typing.NamedTuple)`` checks every field's annotation when the class
is created; with postponed annotations each one is a string, and checking it
builds a ``typing.ForwardRef``, which compiles that string. The settings'
records have about fifty fields, so that was some fifty compiles on every
start (about 8 million instructions, nearly 1 % of a start). And
``collections.namedtuple`` itself compiles each class's ``__new__`` from source
with ``eval`` (about half a million instructions a class, five classes a start).

``Record`` builds the same kind of class from the class body: a ``tuple``
subclass with one read-only property per field, ``_fields``,
``_field_defaults``, ``_make``, ``_replace``, ``_asdict``, a ``repr`` that
names the fields, and a ``__new__`` that binds positional and keyword
arguments as a function signature would. The methods are written once below
and shared by every record; the annotations stay the strings they are. Type
checkers see ``typing.NamedTuple`` itself, so the fields stay typed.

What the class body may hold is what ``typing.NamedTuple`` allows: annotated
fields (those with a default after those without), methods, properties and a
docstring. Methods may not use ``super()`` or ``__class__``.
"""

from __future__ import annotations

import sys
from operator import itemgetter

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


def _new(cls: type[tuple[Any, ...]], /, *args: Any, **kwargs: Any) -> Any:
    """Every record's ``__new__``: binds the arguments as ``def __new__(cls, <fields>)`` would."""
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    if not kwargs and len(args) == len(fields):
        return tuple.__new__(cls, args)
    name = cls.__name__
    if len(args) > len(fields):
        raise TypeError(
            f"{name}() takes {len(fields)} positional arguments but {len(args)} were given"
        )
    defaults: dict[str, Any] = cls._field_defaults  # type: ignore[attr-defined]
    values = list(args)
    for field in fields[len(args) :]:
        if field in kwargs:
            values.append(kwargs.pop(field))
        elif field in defaults:
            values.append(defaults[field])
        else:
            raise TypeError(f"{name}() missing required argument: {field!r}")
    for key in kwargs:
        if key in fields:
            raise TypeError(f"{name}() got multiple values for argument {key!r}")
        raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
    return tuple.__new__(cls, values)


def _make(cls: type[tuple[Any, ...]], iterable: Any) -> Any:
    """Make a record from a sequence or iterable of all its fields' values."""
    result = tuple.__new__(cls, iterable)
    expected = len(cls._fields)  # type: ignore[attr-defined]
    if len(result) != expected:
        raise TypeError(f"Expected {expected} arguments, got {len(result)}")
    return result


# What namedtuple's _replace raises for a name that is not a field (TypeError from 3.13).
_UNKNOWN_FIELD: type[Exception] = TypeError if sys.version_info >= (3, 13) else ValueError


def _replace(self: Any, /, **changes: Any) -> Any:
    """A copy of the record with the named fields replaced by new values."""
    result = self._make(
        [changes.pop(field, value) for field, value in zip(self._fields, self, strict=True)]
    )
    if changes:
        raise _UNKNOWN_FIELD(f"Got unexpected field names: {list(changes)!r}")
    return result


def _asdict(self: Any) -> dict[str, Any]:
    """The record's fields and values as a new dict."""
    return dict(zip(self._fields, self, strict=True))


def _repr(self: Any) -> str:
    values = ", ".join(
        f"{field}={value!r}" for field, value in zip(self._fields, self, strict=True)
    )
    return f"{type(self).__name__}({values})"


def _getnewargs(self: Any) -> tuple[Any, ...]:
    """The record as a plain tuple, for copy and pickle."""
    return tuple(self)


class _Signature:
    """``inspect.signature`` of a record class: its fields, built only when asked for."""

    def __get__(self, instance: object, owner: Any) -> Any:
        import inspect

        empty = inspect.Parameter.empty
        return inspect.Signature(
            [
                inspect.Parameter(
                    field,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    default=owner._field_defaults.get(field, empty),
                    annotation=owner.__annotations__.get(field, empty),
                )
                for field in owner._fields
            ]
        )


_SHARED: dict[str, Any] = {
    "__slots__": (),
    "__new__": _new,
    "_make": classmethod(_make),
    "_replace": _replace,
    "_asdict": _asdict,
    "__repr__": _repr,
    "__getnewargs__": _getnewargs,
    "__signature__": _Signature(),
}
if sys.version_info >= (3, 13):
    _SHARED["__replace__"] = _replace  # copy.replace()


class _RecordType(type):
    """Turns a ``class X(Record)`` body into a ``tuple`` subclass with named fields."""

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
        fields = tuple(annotations)
        for field in fields:
            if field.startswith("_"):  # as namedtuple refuses
                raise ValueError(f"{name}: field names cannot start with an underscore: {field!r}")
        defaults = {field: namespace[field] for field in fields if field in namespace}
        if any(field in namespace for field in fields[: len(fields) - len(defaults)]):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        body: dict[str, Any] = {
            **_SHARED,
            "__module__": namespace["__module__"],
            "__qualname__": namespace["__qualname__"],
            "__doc__": namespace.get("__doc__") or f"{name}({', '.join(fields)})",
            "__annotations__": annotations,
            "__match_args__": fields,
            "_fields": fields,
            "_field_defaults": defaults,
        }
        for index, field in enumerate(fields):
            body[field] = property(itemgetter(index), doc=f"Alias for field number {index}")
        for key, value in namespace.items():
            if key in _PROHIBITED:
                raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {key}")
            if key not in _SPECIAL and key not in annotations:
                body[key] = value  # type() calls __set_name__, as class creation would
        record = type(name, (tuple,), body)
        return record  # type: ignore[return-value]  # a tuple subclass, as typing returns


if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:

    class Record(metaclass=_RecordType):
        """Base of the settings' records: ``typing.NamedTuple`` for readers and type checkers."""

        __slots__ = ()
