"""The README's walk-through as commands to run, and the answers it shows as patterns to find.

How the README is read (its sections ``WALK_THROUGH``, each ``sh`` block of them, in order):
- a command is a line and its continuations (a trailing backslash, or a quote still open);
- the ``# …`` lines after a command are the answer it shows, each to be found, in order, in what the
  command printed. In them ``…`` stands for anything; an id's first characters followed by ``…``
  (``4f0c…``) for a whole id, the same one wherever the same characters recur; a date or a time for
  any date or time; a run of spaces for any. Text after `` ← `` is a remark for the reader, and a line
  that starts with ``←`` is only that;
- ``NAME=4f0c…  # the client_id above`` sets ``NAME`` to the ``client_id`` of the last JSON answer,
  as the reader copies it from the screen.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

REMARK = " ← "
ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
DATE = r"\d{4}-\d{2}-\d{2}"
# what a shown answer's parts stand for; "…" between members of a JSON object stands for none too
SHAPES = re.compile(
    rf"(?P<id>(?<![0-9A-Za-z])[0-9a-f]{{4}}…)|(?P<time>{TIME})|(?P<date>{DATE})"
    r"|(?P<first>\{…,)|(?P<members>,…,)|(?P<last>,…\})|(?P<any>…)|(?P<space> +)"
)
WILDCARDS = {
    "time": TIME,
    "date": DATE,
    "first": r"\{(?:.*?,)?",
    "members": r",(?:.*?,)?",
    "last": r"(?:,.*?)?\}",
    "any": ".*?",
    "space": " ",
}
COPIED = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=\S*…\S*\s+#\s*the (?P<field>\w+) above")


@dataclass
class Command:
    text: str
    line: int  # where it starts in the README
    section: str
    shown: list[str] = field(default_factory=list)  # the answer lines it shows, remarks removed

    @property
    def copies(self) -> tuple[str, str] | None:
        """(variable, field) when the command is a reader copying an id from the last answer."""
        found = COPIED.match(self.text)
        return (found["name"], found["field"]) if found else None

    @property
    def reads(self) -> bool:
        """Whether running it again changes nothing: a GET, the mailbox."""
        if "python -m local outbox" in self.text:
            return True
        return self.text.startswith("curl") and not re.search(r"-X\s+(?!GET)", self.text)


def commands(readme: str, sections: tuple[str, ...]) -> list[Command]:
    """The commands of the ``sh`` blocks under the headings ``sections`` (exactly as written)."""
    found: list[Command] = []
    heading, in_block, pending = "", False, None
    for number, line in enumerate(readme.splitlines(), start=1):
        if not in_block and line.startswith("#"):
            heading = line.lstrip("#").strip()
            continue
        if line.strip() == "```sh" and heading in sections:
            in_block, pending = True, None
            continue
        if not in_block:
            continue
        if line.strip() == "```":
            in_block = False
            continue
        if pending is not None and _continues(pending.text):
            pending.text += "\n" + line
        elif line.lstrip().startswith("#"):
            shown = line.lstrip()[1:].strip()
            if found and not shown.startswith("←"):
                found[-1].shown.append(shown.split(REMARK)[0].rstrip())
        elif line.strip():
            pending = Command(line, number, heading)
            found.append(pending)
    return found


def _continues(text: str) -> bool:
    """Whether the shell reads on past this text: a trailing backslash, or a quote left open."""
    if text.endswith("\\"):
        return True
    quote = None
    escaped = False
    for character in text:
        if escaped:
            escaped = False
        elif character == "\\" and quote != "'":
            escaped = True
        elif quote is None and character in "'\"":
            quote = character
        elif character == quote:
            quote = None
        elif quote is None and character == "#":
            break  # a comment: the rest of the line is not the shell's
    return quote is not None


class Answers:
    """Matches shown answers against what came back, binding each id to the one it stood for."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def find(self, shown: list[str], printed: str) -> str | None:
        """None when every shown line is found in order in ``printed``; else what is missing."""
        lines = [" ".join(line.split()) for line in printed.splitlines()]
        position, bound = 0, dict(self.ids)
        for expected in shown:
            pattern = self._pattern(expected, bound)
            for index in range(position, len(lines)):
                matched = re.fullmatch(pattern, lines[index])
                if matched:
                    bound.update({prefix: matched[group] for group, prefix in _groups(expected, bound).items()})
                    position = index + 1
                    break
            else:
                return expected
        self.ids = bound
        return None

    def _pattern(self, expected: str, bound: dict[str, str]) -> str:
        parts, groups = [], _groups(expected, bound)
        cursor = 0
        for match in SHAPES.finditer(expected):
            parts.append(re.escape(expected[cursor : match.start()]))
            cursor = match.end()
            kind = match.lastgroup
            if kind == "id":
                prefix = match.group()[:4]
                if prefix in bound:
                    parts.append(re.escape(bound[prefix]))
                else:
                    group = next(name for name, each in groups.items() if each == prefix)
                    parts.append(f"(?P<{group}>{ID})" if f"(?P<{group}>" not in "".join(parts) else f"(?P={group})")
            else:
                parts.append(WILDCARDS[kind])
        parts.append(re.escape(expected[cursor:]))
        return "".join(parts).replace(re.escape(" "), " ")


def _groups(expected: str, bound: dict[str, str]) -> dict[str, str]:
    """{group name: id prefix} for the ids of ``expected`` not bound yet."""
    prefixes = dict.fromkeys(match.group()[:4] for match in re.finditer(r"(?<![0-9A-Za-z])[0-9a-f]{4}…", expected))
    return {f"id{index}": prefix for index, prefix in enumerate(prefixes) if prefix not in bound}


def last_json(printed: str) -> dict:
    """The last line of ``printed`` that is a JSON object."""
    for line in reversed(printed.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}
