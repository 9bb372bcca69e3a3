"""How the README's walk-through is read (tests/e2e/readme.py): its commands, and the answers shown."""

from tests.e2e.readme import Answers, commands

README = """# Title
## Walk
```sh
curl -s localhost:3000/health
# {"status":"ok"}   ← a remark
A=4f0c…                  # the client_id above
curl -s -X POST localhost:3000/clients \\
  -d '{"name": "Amina",
       "phone": "06"}'
# {"client_id":"4f0c…",…}
# ← only a remark
```
## Elsewhere
```sh
make deploy
```
"""

AMINA = "5f58d750-10ec-4cac-92aa-9d76c1d32802"
OTHER = "9cc7c73f-7290-48bf-81a2-3d5d87fe1c55"


def test_commands_are_read_with_their_continuations_and_the_answers_they_show() -> None:
    health, copy, create = commands(README, ("Walk",))
    assert (health.text, health.shown, health.reads) == ("curl -s localhost:3000/health", ['{"status":"ok"}'], True)
    assert copy.copies == ("A", "client_id")
    assert create.text.count("\n") == 2  # three lines: a backslash, then a quote left open
    assert (create.shown, create.reads) == (['{"client_id":"4f0c…",…}'], False)


def test_an_id_stands_for_the_same_id_wherever_its_characters_recur() -> None:
    answers = Answers()
    assert answers.find(['{"client_id":"4f0c…",…}'], f'{{"client_id":"{AMINA}","status":"active"}}') is None
    assert answers.find(["client 4f0c… was erased"], f"client {AMINA} was erased") is None
    assert answers.find(["client 4f0c… was erased"], f"client {OTHER} was erased") == "client 4f0c… was erased"


def test_members_left_out_may_be_none_and_dates_any_but_text_is_text() -> None:
    answers = Answers()
    printed = '{"day":"2026-12-07","status":"waiting","station_id":"eye-exam","position":1}'
    assert answers.find(['{"day":"2026-12-02",…,"status":"waiting",…,"station_id":"eye-exam",…}'], printed) is None
    assert answers.find(['{…,"status":"called",…}'], printed) == '{…,"status":"called",…}'
    assert answers.find(["2026-12-02T10:14:03+01:00  sms   to +336"], "2026-12-07T16:00:07+00:00 sms to +336") is None
