"""``Record`` builds what ``typing.NamedTuple`` builds, without evaluating the annotations."""

from __future__ import annotations

import inspect
import pickle
import typing

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
