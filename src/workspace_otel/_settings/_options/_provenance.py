"""Where an effective value came from, and reading one option from the table.

Code decides on :attr:`Source.kind` and :attr:`Source.variable`; people read
``str(source)``. A :class:`Source` is a ``str`` whose value is the display
text, so code that prints it or compares it with ``"argument"`` keeps working.

:func:`look_up` reads one option: the argument, then its variables in order,
then its default. :func:`config_file` is where ``configure()`` learns whether a
declarative configuration file (``OTEL_CONFIG_FILE``) replaces the table: it
asks before importing the module that applies the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from workspace_otel._guards.redaction import scrub_known
from workspace_otel._settings._option_table import OPTION

__all__ = [
    "ARGUMENT",
    "CONFIG_FILE_VARIABLE",
    "DEFAULT",
    "Origin",
    "Setting",
    "Source",
    "config_file",
    "look_up",
    "raw",
]

T = TypeVar("T")


class _Immutable:
    """Refuses setting and deleting attributes once ``__init__`` / ``__new__`` set them.

    The one rule for this module's three value classes; they set their own
    attributes with ``object.__setattr__``.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")


class Origin(_Immutable):
    """The kind of place a value came from: one of the six constants below.

    Compared by identity (``source.kind is Origin.VARIABLE``). A plain class
    with six instances rather than an ``enum.Enum``: creating an Enum class
    costs more than the rest of this module, on every start.

    Attributes:
        name: the constant's name (``VARIABLE``).
        value: its lower-case word (``variable``), the display text of a
            source that has no other.
    """

    __slots__ = ("name", "value")

    ARGUMENT: ClassVar[Origin]  # a configure() keyword argument
    VARIABLE: ClassVar[Origin]  # an environment variable (``Source.variable`` names it)
    DEFAULT: ClassVar[Origin]  # the documented default
    PRESET: ClassVar[Origin]  # derived from another option (e.g. the Lightstep backend)
    FALLBACK: ClassVar[Origin]  # no endpoint configured: printed to the console instead
    UNUSED: ClassVar[Origin]  # not read, because nothing needs it

    name: str
    value: str

    def __init__(self, name: str, value: str) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "value", value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (getattr, (Origin, self.name))  # unpickles to the same constant

    def __repr__(self) -> str:
        return f"<Origin.{self.name}: {self.value!r}>"


for _name in ("ARGUMENT", "VARIABLE", "DEFAULT", "PRESET", "FALLBACK", "UNUSED"):
    type.__setattr__(Origin, _name, Origin(_name, _name.lower()))
del _name


class Source(_Immutable, str):
    """A value's provenance: ``str(source)`` is the text shown to people.

    Attributes:
        kind: what kind of place the value came from.
        variable: the environment variable behind the value, when one is.
    """

    kind: Origin
    variable: str | None

    def __new__(cls, kind: Origin, variable: str | None = None, text: str | None = None) -> Source:
        """Build a source; the text defaults to the variable name, else the kind."""
        self = super().__new__(cls, text or variable or kind.value)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "variable", variable)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Source, (self.kind, self.variable, str(self)))

    def __repr__(self) -> str:
        return f"Source({self.kind.name}, {self.variable!r}, {str(self)!r})"

    def note(self, text: str) -> Source:
        """Return the same provenance with a different display text."""
        return Source(self.kind, self.variable, text)


ARGUMENT = Source(Origin.ARGUMENT)
DEFAULT = Source(Origin.DEFAULT)


def from_variable(name: str) -> Source:
    """Return the provenance "read from the variable ``name``"."""
    return Source(Origin.VARIABLE, name)


class Setting(_Immutable, Generic[T]):
    """One effective option value and where it came from (immutable).

    A plain slotted class rather than a frozen dataclass: the dataclass
    generated its methods with ``exec`` on every start.

    Attributes:
        value: the effective value.
        source: its provenance; ``str(source)`` is ``"argument"``, the
            variable's name, ``"default"`` or a short phrase such as
            ``"backend lightstep"``.
    """

    __slots__ = ("source", "value")

    value: T
    source: Source

    def __init__(self, value: T, source: Source) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "source", source)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Setting)
        return (self.value, self.source) == (other.value, other.source)

    def __hash__(self) -> int:
        return hash((self.value, self.source))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Setting, (self.value, self.source))

    def __repr__(self) -> str:
        # Endpoint query values and user-info are registered secrets: masked here too.
        return scrub_known(f"Setting(value={self.value!r}, source={str(self.source)!r})")


CONFIG_FILE_VARIABLE = "OTEL_CONFIG_FILE"


def raw(environ: Mapping[str, str], name: str) -> str | None:
    """Return a variable's stripped value; ``None`` when unset or blank."""
    value = environ.get(name, "").strip()
    return value or None


def config_file(environ: Mapping[str, str]) -> str | None:
    """Return the ``OTEL_CONFIG_FILE`` path, or ``None`` when unset or blank."""
    return raw(environ, CONFIG_FILE_VARIABLE)


def look_up(
    key: str, arg: Any, environ: Mapping[str, str], *, signal: str | None = None
) -> Setting[Any]:
    """Resolve the option ``key``: argument > first variable set > default, parsed.

    Args:
        key: the option's key in the table.
        arg: the configure() argument (``None``: not given).
        environ: the environment to read.
        signal: the signal, for per-signal options.

    Raises:
        ConfigurationError: the value does not parse (the parser names the
            argument or variable and the fix).
    """
    option = OPTION[key]
    parse = option.parse
    if arg is not None:
        where = f"configure({option.argument})"
        return Setting(parse(arg, where) if parse else arg, ARGUMENT)
    for name in option.variables_for(signal):
        value = raw(environ, name)
        if value is not None:
            return Setting(parse(value, name) if parse else value, from_variable(name))
    default = option.default
    if default is not None and parse is not None:
        return Setting(parse(default, "default"), DEFAULT)
    return Setting(default, DEFAULT)
