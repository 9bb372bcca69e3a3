"""The base of every pydantic model of ours."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A model whose validator and serializer are built on first use, not when it is declared: a
    function's cold start pays only for the models its requests use (building one costs as much
    again as declaring it)."""

    model_config = ConfigDict(defer_build=True)
