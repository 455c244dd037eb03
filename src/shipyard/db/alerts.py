"""Alert states in SQL, changed by compare-and-set: with several workers or replicas
checking the same rule, exactly one of them wins each change (and notifies it)."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from shipyard.db.idempotency import insert_ignoring_duplicates
from shipyard.db.tables import AlertStateRow
from shipyard.domain.alerts import AlertState


def load_state(session: Session, key: str) -> AlertState | None:
    row = session.get(AlertStateRow, key)
    if row is None:
        return None
    return AlertState(row.key, row.firing, row.since, row.notified_at)


def swap_state(session: Session, expected: AlertState | None, new: AlertState) -> bool:
    """Store ``new`` if the stored state is still ``expected``; False if someone else
    changed it first."""
    if expected is None:
        insert = insert_ignoring_duplicates(session.get_bind().dialect.name)
        won = session.execute(
            insert(AlertStateRow)
            .values(key=new.key, firing=new.firing, since=new.since, notified_at=new.notified_at)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(AlertStateRow.key)
        ).first()
        return won is not None
    changed = session.execute(
        update(AlertStateRow)
        .where(
            AlertStateRow.key == expected.key,
            AlertStateRow.firing == expected.firing,
            AlertStateRow.notified_at == expected.notified_at,
        )
        .values(firing=new.firing, since=new.since, notified_at=new.notified_at)
        .returning(AlertStateRow.key)
    ).first()
    return changed is not None


def restore_state(session: Session, current: AlertState, previous: AlertState | None) -> None:
    """Undo a change that could not be notified."""
    if previous is None:
        session.execute(
            delete(AlertStateRow).where(
                AlertStateRow.key == current.key,
                AlertStateRow.notified_at == current.notified_at,
            )
        )
        return
    swap_state(session, current, previous)
