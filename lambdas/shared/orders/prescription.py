"""A lens prescription as an optician writes it (the fields of HL7 FHIR's VisionPrescription), and
the rules an order's prescription must meet before a lab makes anything from it.

The request models only read the values (numbers, dates, words); ``problems`` applies the rules
that need the stage's limits, the lens type or today's date, and names the field of each problem.
Powers are kept as decimals: 0.25 D steps are exact, and a float's 0.1 never is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from lambdas.shared.fields import IsoDate, Name, whole_number
from lambdas.shared.model import Model

QUARTER = Decimal("0.25")  # dioptres: sphere, cylinder, addition, prism
HALF_MM = Decimal("0.5")  # millimetres: pupillary distances and heights


def measure(low: str, high: str, step: str, unit: str) -> tuple[Any, ...]:
    """A JSON number from ``low`` to ``high`` in steps of ``step``: ``Annotated[Decimal, *measure(...)]``
    (read exactly: 0.25 D is 0.25, never 0.2500001). The document says the same; the stage's narrower
    limits are checked by ``problems``."""
    bounds: dict[str, Any] = {"ge": Decimal(low), "le": Decimal(high), "multiple_of": Decimal(step)}
    schema = {"type": "number", "minimum": float(low), "maximum": float(high), "multipleOf": float(step)}
    exponent = Decimal(step).as_tuple().exponent
    assert isinstance(exponent, int)
    places = Decimal(1).scaleb(exponent)  # written back as opticians write it: -2 D is "-2.00", 32 mm "32.0"
    digits: dict[str, Any] = {"max_digits": len(str(int(Decimal(high)))) - exponent, "decimal_places": -exponent}
    return (
        BeforeValidator(written_plainly),
        Field(allow_inf_nan=False, description=f"{unit}, {low} to {high} in steps of {step}", **bounds, **digits),
        PlainSerializer(lambda value: str((value + 0).quantize(places)), return_type=str, when_used="json"),  # no -0
        WithJsonSchema(schema),
    )


MAX_WRITTEN = 12  # characters of a power written as a string: "-12.25" has 6
PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")  # no "1_0", no Arabic-Indic digits, no exponent


def written_plainly(value: Any) -> Any:
    """A decimal string is read as an optician writes it: short, ASCII digits and one point (Python's
    Decimal would also take "1_0", "٢" or "1e1", which no form shows and no person means)."""
    if isinstance(value, str):
        if len(value) > MAX_WRITTEN:
            raise ValueError(f"write it with at most {MAX_WRITTEN} characters, e.g. -2.25")
        if not PLAIN_DECIMAL.fullmatch(value):
            raise ValueError("write a number with digits and a point, e.g. -2.25")
    return value


Sphere = Annotated[Decimal, *measure("-30", "30", "0.25", "dioptres")]
Cylinder = Annotated[Decimal, *measure("-10", "10", "0.25", "dioptres, minus or plus form")]
Addition = Annotated[Decimal, *measure("0.75", "3.50", "0.25", "dioptres")]
PrismAmount = Annotated[Decimal, *measure("0.25", "10", "0.25", "prism dioptres")]
PupillaryDistance = Annotated[Decimal, *measure("20", "40", "0.5", "millimetres")]
Height = Annotated[Decimal, *measure("10", "40", "0.5", "millimetres")]


class LensType(StrEnum):
    SINGLE_VISION = "single_vision"
    BIFOCAL = "bifocal"
    PROGRESSIVE = "progressive"

    @property
    def multifocal(self) -> bool:
        return self is not LensType.SINGLE_VISION


class LensMaterial(StrEnum):
    STANDARD = "standard"  # CR-39
    POLYCARBONATE = "polycarbonate"
    HIGH_INDEX = "high_index"


class Coating(StrEnum):
    ANTI_REFLECTIVE = "anti_reflective"
    SCRATCH_RESISTANT = "scratch_resistant"
    UV = "uv"
    PHOTOCHROMIC = "photochromic"


class PrismBase(StrEnum):
    IN = "in"
    OUT = "out"
    UP = "up"
    DOWN = "down"


class Lens(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: LensType
    material: LensMaterial = LensMaterial.STANDARD
    coatings: list[Coating] = Field(
        default_factory=list, max_length=len(Coating), json_schema_extra={"uniqueItems": True}, description="each once"
    )


class Prism(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: PrismAmount
    base: PrismBase


class Eye(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sphere: Sphere = Field(description="dioptres, in 0.25 steps, within the programme's limit (±20 by default)")
    cylinder: Cylinder | None = Field(None, description="dioptres, in 0.25 steps, within the programme's limit (±6)")
    axis: Annotated[int, *whole_number(1, 180)] | None = Field(
        None, description="whole degrees: required with a cylinder, absent without"
    )
    add: Addition | None = Field(None, description="the near addition: required for bifocal and progressive lenses")
    prism: Prism | None = None

    @property
    def has_cylinder(self) -> bool:
        return self.cylinder is not None and self.cylinder != 0


class PupillaryDistances(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    right: PupillaryDistance
    left: PupillaryDistance


class Heights(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    right: Height
    left: Height


class Prescription(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    right: Eye
    left: Eye
    pd: PupillaryDistances = Field(description="monocular pupillary distances")
    heights: Heights | None = Field(
        None, description="segment or fitting heights: required for bifocal and progressive"
    )
    prescriber: Name = Field(description="who wrote it")
    written_on: IsoDate = Field(
        description="the date it was written (YYYY-MM-DD): today or within the programme's limit"
    )


@dataclass(frozen=True)
class Limits:
    """What a stage accepts (its settings): the largest powers and the oldest prescription."""

    sphere: Decimal = Decimal(20)
    cylinder: Decimal = Decimal(6)
    max_age: timedelta = timedelta(days=730)


ADDITION = (Decimal("0.75"), Decimal("3.50"))
PD = (Decimal(20), Decimal(40))
HEIGHT = (Decimal(10), Decimal(40))
PRISM = (QUARTER, Decimal(10))
AXIS = (1, 180)

Problem = tuple[str, str]  # (field, message)


def problems(rx: Prescription, lens: Lens, limits: Limits, today: date) -> list[Problem]:
    """Every rule ``rx`` breaks for a ``lens`` order today, each with the field it names."""
    found: list[Problem] = []
    where = "prescription"
    for side in ("right", "left"):
        found += _eye_problems(getattr(rx, side), limits, f"{where}.{side}")
        found += _in_range(getattr(rx.pd, side), PD, HALF_MM, f"{where}.pd.{side}", "mm")
        if rx.heights is not None:
            found += _in_range(getattr(rx.heights, side), HEIGHT, HALF_MM, f"{where}.heights.{side}", "mm")
    if lens.type.multifocal:
        if rx.heights is None:
            found.append((f"{where}.heights", f"{lens.type} lenses need the segment or fitting height of each eye"))
        for side in ("right", "left"):
            if getattr(rx, side).add is None:
                found.append((f"{where}.{side}.add", f"{lens.type} lenses need a near addition for each eye"))
    else:
        for side in ("right", "left"):
            if getattr(rx, side).add is not None:
                message = "single_vision lenses have no addition: the near power goes in the sphere, or order bifocal"
                found.append((f"{where}.{side}.add", f"{message} or progressive lenses"))
    if rx.written_on > today:
        found.append((f"{where}.written_on", f"a prescription is written on or before today ({today.isoformat()})"))
    elif rx.written_on < today - limits.max_age:
        oldest = (today - limits.max_age).isoformat()
        found.append((f"{where}.written_on", f"the prescription is too old: written on {oldest} or later, please"))
    if len(set(lens.coatings)) != len(lens.coatings):
        found.append(("lens.coatings", "name each coating once"))
    return found


def _eye_problems(eye: Eye, limits: Limits, where: str) -> list[Problem]:
    found = _in_range(eye.sphere, (-limits.sphere, limits.sphere), QUARTER, f"{where}.sphere", "D")
    if eye.cylinder is not None:
        found += _in_range(eye.cylinder, (-limits.cylinder, limits.cylinder), QUARTER, f"{where}.cylinder", "D")
    if eye.has_cylinder:
        if eye.axis is None:
            found.append((f"{where}.axis", "a cylinder needs its axis, a whole number of degrees from 1 to 180"))
        elif not AXIS[0] <= eye.axis <= AXIS[1]:
            found.append((f"{where}.axis", "the axis is a whole number of degrees from 1 to 180"))
    elif eye.axis is not None:
        found.append((f"{where}.axis", "an axis goes with a cylinder: leave it out when there is none"))
    if eye.add is not None:
        found += _in_range(eye.add, ADDITION, QUARTER, f"{where}.add", "D")
    if eye.prism is not None:
        found += _in_range(eye.prism.amount, PRISM, QUARTER, f"{where}.prism.amount", "Δ")
    return found


def _in_range(value: Decimal, bounds: tuple[Decimal, Decimal], step: Decimal, field: str, unit: str) -> list[Problem]:
    low, high = bounds
    if not low <= value <= high:
        return [(field, f"must be from {_shown(low, unit)} to {_shown(high, unit)}")]
    if value % step:
        return [(field, f"must be in steps of {step} {unit}")]
    return []


def _shown(value: Decimal, unit: str) -> str:
    return f"{value:.1f} {unit}" if unit == "mm" else f"{value:+.2f} {unit}"
