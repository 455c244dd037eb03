"""The life of a model: who moved an alias where, and which version a rollback returns to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shipyard.errors import Conflict

CHALLENGER = "challenger"
"""The alias of a registered candidate that has not (yet) replaced the champion: servers
score it in the shadow of the served version."""


class RetrainSkipped(Conflict):
    """A retrain that cannot run yet or ever: skipped and said, not a failure to retry."""


class NotEnoughFeedback(RetrainSkipped):
    """Too few labelled predictions to hold out a fair test (or only one class)."""


class PretrainedModel(RetrainSkipped):
    """The champion arrived trained (a lexicon, a downloaded network): refitting it on
    feedback would change nothing."""

    def __init__(self, name: str, version: str) -> None:
        super().__init__(
            f"{name} v{version} is a pretrained model: it learns nothing from feedback. "
            f"Register a new version (shipyard train {name}) and promote it instead"
        )


class MoveKind(StrEnum):
    TRAIN = "train"
    """``shipyard train`` promoted the version it trained."""
    RETRAIN = "retrain"
    """The retrain policy promoted a candidate that beat the champion."""
    PROMOTE = "promote"
    """Someone promoted a version by hand (CLI, API)."""
    ROLLBACK = "rollback"
    """Someone moved the alias back to the version it named before."""


@dataclass(frozen=True, slots=True)
class AliasMove:
    model: str
    alias: str
    from_version: str | None
    to_version: str
    kind: MoveKind
    actor: str
    reason: str
    created_at: datetime


def rollback_target(moves: Sequence[AliasMove], current: str) -> str | None:
    """The version a rollback from ``current`` returns to: the one the alias named before
    the latest move *forward* onto ``current`` (rollbacks are not undone by rolling back
    again: A→B→C, rollback → B, rollback → A). None when no such move is known.

    ``moves`` are one alias's moves, newest first.
    """
    for move in moves:
        if move.to_version == current and move.kind is not MoveKind.ROLLBACK:
            return move.from_version
    return None


@dataclass(frozen=True, slots=True)
class PromotionRule:
    """When a retrained candidate replaces the champion."""

    margin: float
    """By how much the candidate's score must beat the champion's on the holdout."""
    alpha: float | None
    """The highest p-value of the difference that counts as significant; None: no test."""


def promotion_reasons(
    rule: PromotionRule, metric: str, difference: float, p_value: float
) -> tuple[bool, list[str]]:
    """Whether the candidate wins, and why (or why not), in words."""
    reasons: list[str] = []
    wins = True
    if difference >= rule.margin:
        reasons.append(f"{metric} is {difference:+.4f} against the champion (margin {rule.margin})")
    else:
        wins = False
        reasons.append(
            f"{metric} is {difference:+.4f} against the champion, short of the margin {rule.margin}"
        )
    if rule.alpha is not None:
        if p_value < rule.alpha:
            reasons.append(f"the difference is significant (p = {p_value:.4f} < {rule.alpha})")
        else:
            wins = False
            reasons.append(
                f"the difference is not significant (p = {p_value:.4f}, needs < {rule.alpha})"
            )
    return wins, reasons
