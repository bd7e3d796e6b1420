"""``Record`` builds what ``typing.NamedTuple`` builds, without evaluating the annotations."""

from __future__ import annotations

import copy
import inspect
import pickle
import sys
import typing
from typing import Any

import pytest

from workspace_otel._settings._options._settings import Arguments, Settings, SignalSettings
from workspace_otel._settings._record import Record
from workspace_otel._settings._sdk_variables import Pipeline, Row


class Point(Record):
    """A point."""

    x: int
    y: NotImportedAnywhere  # type: ignore[name-defined]  # noqa: F821  (never evaluated)
    label: str = "origin"

    @property
    def total(self) -> int:
        return self.x + int(self.y)

    def __repr__(self) -> str:
        return f"<{self.label}>"


class TypedPoint(typing.NamedTuple):
    x: int
    y: int
    label: str = "origin"


def test_a_record_is_the_namedtuple_typing_would_build() -> None:
    point = Point(1, 2)
    assert Point._fields == TypedPoint._fields
    assert Point._field_defaults == TypedPoint._field_defaults == {"label": "origin"}
    assert isinstance(point, tuple)
    assert tuple(point) == tuple(TypedPoint(1, 2)) == (1, 2, "origin")
    assert point == Point(1, 2, "origin")
    assert point._replace(label="moved") == Point(1, 2, "moved")
    assert point.total == 3
    assert repr(point) == "<origin>"
    assert Point.__doc__ == "A point."
    assert Point.__qualname__ == "Point"
    assert Point.__module__ == __name__
    with pytest.raises(AttributeError):
        point.x = 5  # type: ignore[misc]


def test_annotations_stay_strings_no_forward_reference_is_compiled() -> None:
    # typing.NamedTuple would have built (and compiled) a ForwardRef for each of these.
    assert Point.__annotations__ == {"x": "int", "y": "NotImportedAnywhere", "label": "str"}
    assert Settings.__annotations__["backend"] == "Setting[str]"
    for record in (Settings, SignalSettings, Arguments, Pipeline, Row):
        assert all(isinstance(value, str) for value in record.__annotations__.values())


class _Named:
    """A descriptor that records the name it was given, as class creation tells it."""

    name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = f"{owner.__name__}.{name}"


class WithDescriptor(Record):
    x: int
    tag = _Named()  # type: ignore[misc]  # allowed at run time (typing too), not by mypy


def test_class_body_attributes_are_told_their_name_and_source_is_found() -> None:
    assert WithDescriptor.tag.name == "WithDescriptor.tag"
    assert "class Point(Record):" in inspect.getsource(Point)


def test_records_pickle_by_name() -> None:
    point = Point(3, 4, "far")
    assert pickle.loads(pickle.dumps(point)) == point


def test_a_body_typing_refuses_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):

        class Misordered(Record):
            x: int = 0
            y: int  # type: ignore[misc]  # refused by type checkers too

    with pytest.raises(AttributeError, match="cannot overwrite"):

        class Overwrites(Record):
            x: int

            def _make(self) -> None:  # type: ignore[misc]  # refused by type checkers too
                pass

    with pytest.raises(AttributeError, match="cannot overwrite"):

        class Replaces(Record):
            x: int

            def _replace(self) -> None:  # type: ignore[misc]  # refused by typing too
                pass

    with pytest.raises(TypeError, match="annotated fields"):

        class Empty(Record):
            pass

    with pytest.raises(TypeError, match="super"):

        class UsesSuper(Record):
            x: int

            def __repr__(self) -> str:
                return super().__repr__()


class Plain(Record):
    x: int
    y: int
    label: str = "origin"


def _outcome(call: Any) -> object:
    """What a call gave: its value, or the type of what it raised."""
    try:
        return call()
    except Exception as exc:
        return type(exc)


@pytest.mark.parametrize(
    "call",
    [
        lambda k: tuple(k(1, 2)),
        lambda k: tuple(k(1, y=2)),
        lambda k: tuple(k(x=1, y=2, label="far")),
        lambda k: tuple(k(y=2, x=1)),
        lambda k: k(1),  # missing argument
        lambda k: k(1, 2, "a", "b"),  # too many positional
        lambda k: k(1, 2, x=3),  # multiple values
        lambda k: k(1, 2, colour="red"),  # unexpected keyword
        lambda k: tuple(k._make([1, 2, "far"])),
        lambda k: k._make([1, 2]),  # wrong length
        lambda k: tuple(k(1, 2)._replace(y=5)),
        lambda k: k(1, 2)._replace(z=5),  # not a field
        lambda k: k(1, 2)._asdict(),
        lambda k: repr(k(1, 2)).split("(", 1)[1],  # the class names differ
        lambda k: k.__match_args__,
        lambda k: k(1, 2).__getnewargs__(),
        lambda k: tuple(copy.copy(k(1, 2))),
        lambda k: tuple(copy.deepcopy(k(1, [2]))),
        lambda k: type(pickle.loads(pickle.dumps(k(1, 2)))) is k,
        # (annotations differ on purpose: typing's are ForwardRefs, a record's stay strings)
        lambda k: [(p.name, p.kind, p.default) for p in inspect.signature(k).parameters.values()],
        lambda k: (k(1, 2).x, k(1, 2)[1], k(1, 2)[-1]),
        lambda k: k(1, 2) == (1, 2, "origin"),
        lambda k: hash(k(1, 2)) == hash((1, 2, "origin")),
    ],
)
def test_each_call_behaves_as_on_the_namedtuple_typing_builds(call: Any) -> None:
    assert _outcome(lambda: call(Plain)) == _outcome(lambda: call(PlainTyped))


class PlainTyped(typing.NamedTuple):
    x: int
    y: int
    label: str = "origin"


@pytest.mark.skipif(sys.version_info < (3, 13), reason="copy.replace is new in 3.13")
def test_copy_replace_works_on_313() -> None:
    replace = copy.replace  # type: ignore[attr-defined,unused-ignore]
    assert replace(Plain(1, 2), label="far") == Plain(1, 2, "far")


def test_a_field_may_be_called_cls_and_underscore_names_are_refused() -> None:
    class Named(Record):
        cls: str
        self: str = "me"

    assert Named(cls="a") == ("a", "me")
    with pytest.raises(ValueError, match="underscore"):

        class Hidden(Record):
            _secret: str  # type: ignore[misc]  # refused by type checkers too


def test_a_record_has_no_instance_dictionary() -> None:
    with pytest.raises(AttributeError):
        Plain(1, 2).extra = 1  # type: ignore[attr-defined]
    assert not hasattr(Plain(1, 2), "__dict__")
