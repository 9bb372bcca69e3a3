"""Checking finished lenses against their prescription: the ANSI Z80.1 tolerances.

Sphere: ±0.13 D up to 6.50 D (in absolute value), ±2 % above. Cylinder: ±0.13 D up to 2.00 D,
±0.15 D up to 4.50 D, ±4 % above. Axis, by the ordered cylinder: ±14° up to 0.25 D, ±7° up to
0.50 D, ±5° up to 0.75 D, ±3° up to 1.50 D, ±2° above. Addition: ±0.12 D up to 4.00 D, ±0.18 D
above. A deviation exactly at the tolerance passes. The axis is compared on the circle of
meridians (179° and 1° are 2° apart) and only where a cylinder was ordered. A reading in the other
cylinder form (plus where the prescription is minus, or the reverse) is transposed first: it is the
same lens.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lambdas.shared.orders.prescription import Eye

_PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class Measured:
    """What the lensmeter reads on one finished lens."""

    sphere: Decimal
    cylinder: Decimal = Decimal(0)
    axis: int | None = None
    add: Decimal | None = None

    def in_form_of(self, cylinder: Decimal) -> Measured:
        """This reading in the cylinder form (plus or minus) of ``cylinder``."""
        if self.cylinder == 0 or cylinder == 0 or (self.cylinder > 0) == (cylinder > 0):
            return self
        axis = None if self.axis is None else (self.axis + 90 - 1) % 180 + 1  # 1…180
        return Measured(self.sphere + self.cylinder, -self.cylinder, axis, self.add)


@dataclass(frozen=True)
class Deviation:
    field: str  # sphere, cylinder, axis or add
    ordered: Decimal | int
    measured: Decimal | int | None
    tolerance: Decimal | int


def sphere_tolerance(ordered: Decimal) -> Decimal:
    return Decimal("0.13") if abs(ordered) <= Decimal("6.50") else abs(ordered) * 2 * _PERCENT


def cylinder_tolerance(ordered: Decimal) -> Decimal:
    power = abs(ordered)
    if power <= 2:
        return Decimal("0.13")
    if power <= Decimal("4.50"):
        return Decimal("0.15")
    return power * 4 * _PERCENT


def axis_tolerance(cylinder: Decimal) -> int:
    power = abs(cylinder)
    for up_to, degrees in ((Decimal("0.25"), 14), (Decimal("0.50"), 7), (Decimal("0.75"), 5), (Decimal("1.50"), 3)):
        if power <= up_to:
            return degrees
    return 2


def add_tolerance(ordered: Decimal) -> Decimal:
    return Decimal("0.12") if ordered <= 4 else Decimal("0.18")


def axis_difference(a: int, b: int) -> int:
    """Degrees between two meridians (an axis of 180° is the meridian of 0°)."""
    difference = abs(a - b) % 180
    return min(difference, 180 - difference)


def deviations(ordered: Eye, measured: Measured) -> list[Deviation]:
    """Where ``measured`` is outside the tolerance of ``ordered``; none when the lens passes."""
    found = []
    cylinder = ordered.cylinder or Decimal(0)
    measured = measured.in_form_of(cylinder)
    tolerance = sphere_tolerance(ordered.sphere)
    if abs(measured.sphere - ordered.sphere) > tolerance:
        found.append(Deviation("sphere", ordered.sphere, measured.sphere, tolerance))
    tolerance = cylinder_tolerance(cylinder)
    if abs(measured.cylinder - cylinder) > tolerance:
        found.append(Deviation("cylinder", cylinder, measured.cylinder, tolerance))
    if ordered.has_cylinder and ordered.axis is not None:
        degrees = axis_tolerance(cylinder)
        if measured.axis is None or axis_difference(measured.axis, ordered.axis) > degrees:
            found.append(Deviation("axis", ordered.axis, measured.axis, degrees))
    if ordered.add is not None:
        tolerance = add_tolerance(ordered.add)
        if measured.add is None or abs(measured.add - ordered.add) > tolerance:
            found.append(Deviation("add", ordered.add, measured.add, tolerance))
    return found
