"""The two query languages behind ``step.QueryLanguage``. JSONata states evaluate ``Arguments``,
``Output``, ``Assign`` and typed fields; JSONPath states carry their data through ``InputPath`` →
``Parameters`` → ``ResultSelector`` → ``ResultPath`` → ``OutputPath`` and read ``…Path`` fields."""

from __future__ import annotations

from local.sfn.asl import State
from local.sfn.languages.jsonata import JSONATA
from local.sfn.languages.jsonpath import JSONPATH
from local.sfn.step import QueryLanguage


def language_of(state: State) -> QueryLanguage:
    return JSONATA if state.jsonpath is None else JSONPATH
