"""A detection rule: one source read for one question.

Each rule is a small class:

    class DockerfileExpose(Rule):
        \"\"\"{file} (EXPOSE)

        The port the old image declares is the port its server listens on.\"\"\"
        question = "app_port"

        def find(self, facts):
            ...
            return 8000, {"file": "Dockerfile"}    # (value, details), or None: not found here

The docstring's first paragraph is where the value came from, as the question's help shows it
("Detected: 8000, from Dockerfile (EXPOSE)."), its {names} filled from the details; the rest says why
the source can be trusted. A rule that can only guess sets `guess = True` and says why in that first
paragraph. `needs` names the questions whose detected value the rule reads (facts.found(name)):
detection decides those first. Which rules answer a question, and in what order, is `RULES` in
detect/__init__.py: for each question the first rule that finds a value wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """A detected answer: the value, where it came from, whether it is a guess, and notes for the help
    (every source a version was found in, for current_python)."""

    value: object
    why: str
    guess: bool = False
    notes: tuple[str, ...] = ()


class Rule:
    """A source read for one question; find(facts) returns (value, details) or None."""

    question = ""
    needs: tuple[str, ...] = ()
    guess = False

    def find(self, facts) -> tuple[object, dict] | None:
        raise NotImplementedError

    @classmethod
    def where(cls, details: dict) -> str:
        """The first paragraph of the docstring, one line, with the details filled in."""
        return " ".join((cls.__doc__ or "").split("\n\n")[0].split()).format(**details)

    @classmethod
    def finding(cls, found: tuple[object, dict]) -> Finding:
        value, details = found
        return Finding(value, cls.where(details), cls.guess)
