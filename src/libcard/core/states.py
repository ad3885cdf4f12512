"""What every workflow's state machine shares: transitions as data, one refusal.

Each workflow (libcard.groups.states, libcard.individual.states) lists its states and
``transition name → (states it may start from, state it ends in)``; services ask the
machine for the target and get TransitionNotAllowed when the current state forbids it.
"""

from __future__ import annotations

from collections.abc import Mapping


class TransitionNotAllowed(Exception):
    def __init__(self, transition: str, current: str) -> None:
        super().__init__(f"{transition} is not allowed from {current or 'new'}")
        self.transition = transition
        self.current = current


class StateMachine:
    def __init__(self, transitions: Mapping[str, tuple[frozenset[str], str]]) -> None:
        self.transitions = dict(transitions)

    def target_of(self, transition: str, current: str) -> str:
        sources, target = self.transitions[transition]
        if current not in sources:
            raise TransitionNotAllowed(transition, current)
        return target
