"""The restricted list and short-sale locates: changed at run time without a restart, each
change kept as an audit record (who, when, why, before and after)."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from midfreq.model.identifiers import InstrumentId


class RestrictionAction(StrEnum):
    """Kinds of change."""

    RESTRICT = "RESTRICT"
    LIFT = "LIFT"
    SET_LOCATE = "SET_LOCATE"


class RestrictionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A command to change the restricted list or a locate (``quantity`` for SET_LOCATE)."""

    action: RestrictionAction
    instrument_id: InstrumentId
    actor: str
    reason: str
    quantity: float | None = None


class RestrictionChanged(msgspec.Struct, frozen=True, kw_only=True):
    """Audit record of one change; ``before``/``after`` are restricted flags or located
    quantities."""

    ts_event: int
    action: RestrictionAction
    instrument_id: InstrumentId
    before: float | bool
    after: float | bool
    actor: str
    reason: str


class RestrictionBook:
    """Restricted instruments and located short quantities, with the audit trail of changes.

    Examples
    --------
    >>> book = RestrictionBook()
    >>> change = book.apply(RestrictionUpdate(action=RestrictionAction.RESTRICT,
    ...     instrument_id=InstrumentId("AAA.SIM"), actor="compliance", reason="MNPI"), ts=5)
    >>> (InstrumentId("AAA.SIM") in book.restricted, change.before, change.after)
    (True, False, True)
    """

    def __init__(
        self,
        restricted: set[InstrumentId] | None = None,
        locates: dict[InstrumentId, float] | None = None,
    ) -> None:
        self.restricted: set[InstrumentId] = set(restricted or ())
        self.locates: dict[InstrumentId, float] = dict(locates or {})
        self.audit: list[RestrictionChanged] = []

    def apply(self, update: RestrictionUpdate, ts: int) -> RestrictionChanged:
        """Make the change, record it and return the record.

        Raises
        ------
        ValueError
            If a SET_LOCATE has no quantity or a negative one.
        """
        iid = update.instrument_id
        before: float | bool
        after: float | bool
        if update.action is RestrictionAction.SET_LOCATE:
            quantity = update.quantity
            if quantity is None or not quantity >= 0:
                raise ValueError(f"quantity: expected a located quantity >= 0, was {quantity!r}")
            before = self.locates.get(iid, 0.0)
            after = float(quantity)
            self.locates[iid] = after
        else:
            before = iid in self.restricted
            after = update.action is RestrictionAction.RESTRICT
            if after:
                self.restricted.add(iid)
            else:
                self.restricted.discard(iid)
        record = RestrictionChanged(
            ts_event=ts,
            action=update.action,
            instrument_id=iid,
            before=before,
            after=after,
            actor=update.actor,
            reason=update.reason,
        )
        self.audit.append(record)
        return record
