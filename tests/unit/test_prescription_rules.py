"""The prescription rules at each boundary, each problem naming its field."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from lambdas.api.errors import in_request
from lambdas.shared.orders.prescription import Lens, Limits, Prescription, problems

TODAY = date(2026, 12, 2)
PROGRAMME = Limits()


def rx(**changes: Any) -> dict[str, Any]:
    """A valid single-vision prescription, with ``changes`` (dotted keys) applied."""
    body: dict[str, Any] = {
        "right": {"sphere": "-2.25", "cylinder": "-0.50", "axis": 90},
        "left": {"sphere": "-2.00"},
        "pd": {"right": "31.5", "left": "32"},
        "prescriber": "Dr Camille Roux",
        "written_on": "2026-06-01",
    }
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        target = body
        for key in path:
            target = target.setdefault(key, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return body


def found(body: dict[str, Any], lens: str = "single_vision", limits: Limits = PROGRAMME) -> list[str]:
    """The fields refused, as the API names them: by the request model (what the document states) or
    by ``problems``."""
    try:
        rx = Prescription.model_validate(body)
    except ValidationError as refused:
        return ["body.prescription." + ".".join(str(part) for part in error["loc"]) for error in refused.errors()]
    return [in_request(field) for field, _ in problems(rx, Lens(type=lens), limits, TODAY)]


def test_a_valid_prescription_has_no_problem() -> None:
    assert found(rx()) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"right.sphere": "20.00"}, None),
        ({"right.sphere": "-20.00"}, None),
        ({"right.sphere": "20.25"}, "body.prescription.right.sphere"),
        ({"left.sphere": "-20.25"}, "body.prescription.left.sphere"),
        ({"right.sphere": "-2.10"}, "body.prescription.right.sphere"),  # not a 0.25 step
        ({"right.cylinder": "-6.00"}, None),
        ({"right.cylinder": "6.00"}, None),
        ({"right.cylinder": "-6.25"}, "body.prescription.right.cylinder"),
        ({"right.cylinder": "-0.30"}, "body.prescription.right.cylinder"),
        ({"right.axis": 1}, None),
        ({"right.axis": 180}, None),
        ({"right.axis": 0}, "body.prescription.right.axis"),
        ({"right.axis": 181}, "body.prescription.right.axis"),
        ({"right.axis": None}, "body.prescription.right.axis"),  # a cylinder without its axis
        ({"left.axis": 90}, "body.prescription.left.axis"),  # an axis without a cylinder
        ({"left.cylinder": "0", "left.axis": 90}, "body.prescription.left.axis"),
        ({"left.cylinder": "0"}, None),
        ({"right.add": "0.75"}, None),
        ({"right.add": "3.50"}, None),
        ({"right.add": "0.50"}, "body.prescription.right.add"),
        ({"right.add": "3.75"}, "body.prescription.right.add"),
        ({"right.add": "1.10"}, "body.prescription.right.add"),
        ({"right.prism": {"amount": "1.50", "base": "in"}}, None),
        ({"right.prism": {"amount": "0", "base": "in"}}, "body.prescription.right.prism.amount"),
        ({"right.prism": {"amount": "10.25", "base": "up"}}, "body.prescription.right.prism.amount"),
        ({"pd.right": "20"}, None),
        ({"pd.left": "40"}, None),
        ({"pd.right": "19.5"}, "body.prescription.pd.right"),
        ({"pd.left": "40.5"}, "body.prescription.pd.left"),
        ({"pd.left": "31.2"}, "body.prescription.pd.left"),  # half millimetres
        ({"written_on": TODAY.isoformat()}, None),
        ({"written_on": (TODAY + timedelta(days=1)).isoformat()}, "body.prescription.written_on"),
        ({"written_on": (TODAY - timedelta(days=730)).isoformat()}, None),
        ({"written_on": (TODAY - timedelta(days=731)).isoformat()}, "body.prescription.written_on"),
    ],
)
def test_each_rule_at_its_boundary(changes: dict[str, Any], field: str | None) -> None:
    if any(key.endswith(".add") for key in changes):  # an addition is for multifocal lenses
        bifocal = {"heights": {"right": "18", "left": "18"}, "left.add": "2.00", **changes}
        assert found(rx(**bifocal), lens="bifocal") == ([field] if field else [])
    else:
        assert found(rx(**changes)) == ([field] if field else [])


def test_single_vision_lenses_have_no_addition() -> None:
    assert found(rx(**{"right.add": "2.00"})) == ["body.prescription.right.add"]


def test_the_limits_are_the_stages() -> None:
    strict = Limits(sphere=Decimal(10), cylinder=Decimal(4), max_age=timedelta(days=365))
    assert found(rx(**{"right.sphere": "10.00"}), limits=strict) == []
    assert found(rx(**{"right.sphere": "10.25"}), limits=strict) == ["body.prescription.right.sphere"]
    assert found(rx(**{"right.cylinder": "-4.25"}), limits=strict) == ["body.prescription.right.cylinder"]
    assert found(rx(written_on="2025-12-01"), limits=strict) == ["body.prescription.written_on"]


@pytest.mark.parametrize("lens", ["bifocal", "progressive"])
def test_multifocal_lenses_need_heights_and_an_addition(lens: str) -> None:
    assert found(rx(), lens=lens) == [
        "body.prescription.heights",
        "body.prescription.right.add",
        "body.prescription.left.add",
    ]
    complete = rx(**{"heights": {"right": "18", "left": "18.5"}, "right.add": "2.00", "left.add": "2.00"})
    assert found(complete, lens=lens) == []
    assert found({**complete, "heights": {"right": "9.5", "left": "18"}}, lens=lens) == [
        "body.prescription.heights.right"
    ]


def test_a_coating_is_named_once() -> None:
    lens = Lens(type="single_vision", coatings=["uv", "uv"])
    assert [in_request(field) for field, _ in problems(Prescription.model_validate(rx()), lens, Limits(), TODAY)] == [
        "body.lens.coatings"
    ]


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"right.sphere": "abc"}, ("right", "sphere")),
        ({"right.sphere": "123456.25"}, ("right", "sphere")),  # would not fit its column
        ({"right.sphere": "-2.125"}, ("right", "sphere")),
        ({"right.sphere": "NaN"}, ("right", "sphere")),
        ({"right.axis": 90.5}, ("right", "axis")),
        ({"right.prism": {"amount": "1", "base": "sideways"}}, ("right", "prism", "base")),
        ({"written_on": "01/06/2026"}, ("written_on",)),
        ({"prescriber": "   "}, ("prescriber",)),
        ({"pd": {"right": "31"}}, ("pd", "left")),
        ({"right.colour": "blue"}, ("right", "colour")),
    ],
)
def test_values_that_are_not_values_are_refused_where_they_are(
    changes: dict[str, Any], location: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as raised:
        Prescription.model_validate(rx(**changes))
    assert [error["loc"] for error in raised.value.errors()] == [location]
