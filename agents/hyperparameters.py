"""Hyperparameters as frozen, typed dataclasses: one per algorithm, validated on construction.

Field types are ``float``, ``int``, ``bool``, ``str`` or ``Schedule`` (a value that may change
over training, see :mod:`rl_kit.agents.schedules`). Values given as text (from YAML or the command
line) are converted to the field's type; a value that does not fit, or a name that is not a
field, raises a ValueError naming it. Every number must be finite, and a class's ``limits``
give each field the interval its values must lie in (a schedule's start and end alike): a
step size of -1, an epsilon of 2 or a batch of -3 is refused on construction, not found out
as NaNs in a table or an update that never happens.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from typing import Any, ClassVar

from .schedules import Schedule
from .search_space import SearchSpace


def _convert(name: str, kind: Any, value: Any) -> Any:
    try:
        if kind is Schedule:
            return Schedule.parse(value)
        if kind is bool:
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            if isinstance(value, bool):
                return value
            raise ValueError
        if kind is int:
            number = float(value)
            if isinstance(value, bool) or not number.is_integer():
                raise ValueError
            return int(number)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind is str:
            return str(value)
    except (TypeError, ValueError) as error:
        detail = f": {error}" if str(error) else ""
        raise ValueError(f"hyperparameter {name}={value!r} is not a valid {kind.__name__}{detail}") from None
    return value


@dataclasses.dataclass(frozen=True)
class Interval:
    """The values a hyperparameter may take: from `low` to `high`, each end in or out."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"


UNIT = Interval(0.0, 1.0)  # a probability, a discount
POSITIVE = Interval(0.0, low_open=True)
NON_NEGATIVE = Interval(0.0)
AT_LEAST_ONE = Interval(1.0)


def _values(value: Any) -> list[float]:
    """The numbers a field's value stands for: a schedule's start and end, or the number itself."""
    if isinstance(value, Schedule):
        return [value.start] + ([] if value.end is None else [value.end])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    return []


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    """Base of every agent's hyperparameter dataclass.

    ``search_space`` (a class attribute, not a field) lists what ``rl-kit tune`` may vary and
    over which values (see :mod:`rl_kit.agents.search_space`); empty where there is nothing to tune.
    """

    search_space: ClassVar[SearchSpace] = {}
    limits: ClassVar[dict[str, Interval]] = {}

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = _convert(f.name, hints[f.name], getattr(self, f.name))
            object.__setattr__(self, f.name, value)
            allowed = self.limits.get(f.name, Interval())
            for number in _values(value):
                if not math.isfinite(number) or number not in allowed:
                    raise ValueError(f"hyperparameter {f.name}={value} is out of range: allowed {allowed}")

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None, *, agent: str = "this agent"):
        """Build from a mapping, with a clear error (and the closest names) for unknown keys."""
        values = dict(values or {})
        names = [f.name for f in dataclasses.fields(cls)]
        for key in values:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=3)
                hint = f"; did you mean {' or '.join(close)}?" if close else "."
                raise ValueError(
                    f"{agent} has no hyperparameter {key!r}{hint} Its hyperparameters are: {', '.join(names)}"
                )
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON and YAML: constants as numbers, other schedules as text."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Schedule):
                value = value.start if value.kind == "constant" else str(value)
            out[f.name] = value
        return out


ARRAY_BACKENDS = ("numpy", "torch")  # where a network agent's arrays and gradients are computed


@dataclasses.dataclass(frozen=True)
class NetworkHyperparameters(Hyperparameters):
    """The network's shape, shared by the network agents.

    Attributes:
        hidden_sizes: hidden layer widths, comma-separated ("64,64").
        activation: "tanh" or "relu".
        backend: "numpy" (networks and gradients written by hand, the default) or "torch"
            (autograd, the reference; the same parameters, so a saved agent loads into either).
    """

    hidden_sizes: str = "64,64"
    activation: str = "tanh"
    backend: str = "numpy"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hidden()
        if self.activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {self.activation!r}")
        if self.backend not in ARRAY_BACKENDS:
            raise ValueError(f"backend must be one of {list(ARRAY_BACKENDS)}, got {self.backend!r}")

    def hidden(self) -> tuple[int, ...]:
        """The hidden layer widths as numbers."""
        try:
            sizes = tuple(int(x) for x in self.hidden_sizes.replace(" ", "").split(",") if x)
        except ValueError:
            raise ValueError(
                f"hidden_sizes must be comma-separated integers like '64,64', got {self.hidden_sizes!r}"
            ) from None
        if not sizes or any(s < 1 for s in sizes):
            raise ValueError(f"hidden_sizes must be positive, got {self.hidden_sizes!r}")
        return sizes


# An image's torso by default: MinAtar's (Young & Tian 2019), one 3x3 convolution of 16 filters.
DEFAULT_CONV_LAYERS = "16x3"


@dataclasses.dataclass(frozen=True)
class ImageNetworkHyperparameters(NetworkHyperparameters):
    """The network's shape for agents that also take images (DQN, REINFORCE, A2C, PPO).

    Attributes:
        conv_layers: the convolutions in front of the MLP when observations are images,
            comma-separated ``FxK`` (F filters of K x K, stride 1) or ``FxKsS`` (stride S), each
            followed by ReLU: "16x3" is MinAtar's torso, "32x8s4,64x4s2,64x3" the Nature DQN's;
            "none" feeds the image's pixels, flattened, straight to the MLP (no weight sharing).
            Vector and finite observations ignore it.
    """

    conv_layers: str = DEFAULT_CONV_LAYERS

    def __post_init__(self) -> None:
        super().__post_init__()
        self.convolutions()

    def convolutions(self) -> tuple[tuple[int, int, int], ...]:
        """The convolutions as (filters, kernel, stride) triples."""
        return parse_conv_layers(self.conv_layers)


def parse_conv_layers(text: str) -> tuple[tuple[int, int, int], ...]:
    """``"32x8s4,64x3"`` as ((32, 8, 4), (64, 3, 1)), ``"none"`` as (), or a ValueError naming
    the part that is not one."""
    if text.strip().lower() == "none":
        return ()
    layers = []
    for part in text.replace(" ", "").split(","):
        filters, _, rest = part.partition("x")
        kernel, _, stride = rest.partition("s")
        try:
            layer = (int(filters), int(kernel), int(stride or 1))
        except ValueError:
            layer = (0, 0, 0)
        if min(layer) < 1:
            raise ValueError(
                f"conv_layers must be comma-separated FILTERSxKERNEL or FILTERSxKERNELsSTRIDE of positive whole "
                f"numbers, like '16x3' or '32x8s4,64x4s2', or 'none', got {text!r} (at {part!r})"
            )
        layers.append(layer)
    return tuple(layers)
