"""Who acts: staff of the tenant (every household) or a family (its own household)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from booking.domain.errors import NotLinked


@dataclass(frozen=True)
class Actor:
    account_id: uuid.UUID
    staff: bool
    household_id: uuid.UUID | None = None  # a family's, from its token (None: not linked)

    def own_household(self) -> uuid.UUID:
        """The family's household; a family account not linked to one may not act on any."""
        if self.household_id is None:
            raise NotLinked()
        return self.household_id

    @property
    def scope(self) -> uuid.UUID | None:
        """The household the actor acts for: None for staff (any of the tenant)."""
        return None if self.staff else self.own_household()

    def may_act_for(self, household_id: uuid.UUID) -> bool:
        return self.staff or household_id == self.own_household()
