"""Pricing households' days: what the grids, quotients, children and residence billing knows
make of them. A quote (what a basket would cost, line by line) and the tenant's price list
("Factures > Tarifs" [003]) are reads: no unit of work."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from billing.domain.lines import Charge, group_lines
from billing.domain.pricing import (
    Price,
    PriceGrid,
    Pricing,
    Quotient,
    Sibling,
    child_rank,
    grid_on,
    quotient_on,
)
from billing.domain.rules import AttendanceRules
from billing.domain.split import BillingRule, shares_on, split_unit
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import families as families_store


class PricingBook:
    """Everything needed to price the days of some households in some activities, read at
    once (a campaign prices thousands of households with a handful of queries)."""

    def __init__(
        self,
        activities: dict[uuid.UUID, dict[str, Any]],
        grids: dict[uuid.UUID, list[PriceGrid]],
        quotients: dict[uuid.UUID, list[Quotient]],
        siblings: dict[uuid.UUID, list[Sibling]],
        residents: dict[uuid.UUID, bool],
        names: dict[uuid.UUID, str],
        rules: dict[uuid.UUID, list[BillingRule]] | None = None,
    ) -> None:
        self.activities = activities
        self.grids = grids
        self.quotients = quotients
        self.siblings = siblings
        self.residents = residents
        self.names = names
        self.rules = rules or {}  # per child: who pays its days (separated parents)
        # A campaign prices its days by the hundred thousand, with few distinct answers.
        self._ranks: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        self._prices: dict[tuple[Any, ...], Price] = {}
        self._grids: dict[tuple[uuid.UUID, date], PriceGrid | None] = {}
        self._qfs: dict[tuple[uuid.UUID, date], int | None] = {}

    def pricing(self, household_id: uuid.UUID, activity_id: uuid.UUID) -> Pricing:
        return Pricing(
            grids=self.grids.get(activity_id, []),
            quotients=self.quotients.get(household_id, []),
            siblings=self.siblings.get(household_id, []),
            resident=self.residents.get(household_id, True),
        )

    def price(
        self,
        household_id: uuid.UUID,
        activity_id: uuid.UUID,
        child_id: uuid.UUID,
        day: date,
        late: bool,
    ) -> Price | None:
        """What `Pricing.price` says, remembered per grid, QF, rank and residence (and the
        grid and QF of a day, the rank of a child)."""
        key = (activity_id, day)
        if key in self._grids:
            grid = self._grids[key]
        else:
            grid = self._grids[key] = grid_on(self.grids.get(activity_id, ()), day)
        if grid is None:
            return None
        rank = self._ranks.get((household_id, child_id))
        if rank is None:
            rank = child_rank(self.siblings.get(household_id, ()), child_id)
            self._ranks[(household_id, child_id)] = rank
        on = (household_id, day)
        if on in self._qfs:
            qf = self._qfs[on]
        else:
            qf = self._qfs[on] = quotient_on(self.quotients.get(household_id, ()), day)
        resident = self.residents.get(household_id, True)
        cached = (grid.id, qf, rank, late, resident)
        price = self._prices.get(cached)
        if price is None:
            price = self._prices[cached] = grid.price(
                qf=qf, rank=rank, late=late, resident=resident
            )
        return price

    def charge(
        self,
        household_id: uuid.UUID,
        day: Mapping[str, Any],
    ) -> tuple[dict[str, Any] | None, str | None]:
        """A booked day priced as a charge row, or why it cannot be: (None, error code)."""
        activity = self.activities.get(day["activity_id"])
        if activity is None:
            return None, "activity-not-configured"
        price = self.price(
            household_id, day["activity_id"], day["child_id"], day["day"], day["late"]
        )
        if price is None:
            return None, "price-grid-missing"
        return {
            "booking_id": day["booking_id"],
            "household_id": household_id,
            "child_id": day["child_id"],
            "child_name": self.names.get(day["child_id"]) or day["child_name"] or "Enfant",
            "activity_id": day["activity_id"],
            "activity_name": activity["name"],
            "day": day["day"],
            "late": day["late"],
            "unit": activity["unit"],
            "unit_cents": price.unit_cents,
            "quantity": activity["units_per_booking"],
            "bracket": price.bracket,
            "qf": price.qf,
            "rank": price.rank,
            "grid_id": price.grid_id,
        }, None

    def charges(
        self, household_id: uuid.UUID, day: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A booked day priced, as the charges of the payers who pay it (one, or two parts
        of a day shared by percentage), each with its `payer_id` and `part`; or why it
        cannot be priced: ([], error code)."""
        charge, error = self.charge(household_id, day)
        if charge is None:
            return [], error
        rules = self.rules.get(day["child_id"])
        if not rules:  # the household pays the whole day (most days)
            charge["part"], charge["payer_id"] = 1, household_id
            return [charge], None
        shares = shares_on(rules, day["day"], household_id)
        units = split_unit(charge["unit_cents"], shares)
        return [
            {
                **charge,
                "part": share.part,
                "payer_id": share.payer_id,
                "unit_cents": unit,
                "bracket": charge["bracket"] + share.label,
            }
            for share, unit in zip(shares, units, strict=True)
        ], None


async def pricing_book(
    conn: Conn,
    tenant: str,
    household_ids: Iterable[uuid.UUID],
    activity_ids: Iterable[uuid.UUID],
) -> PricingBook:
    households = sorted(set(household_ids), key=str)
    activity_list = sorted(set(activity_ids), key=str)
    activities = {
        a["activity_id"]: a
        for a in await catalog_store.list_activities(conn, tenant)
        if a["activity_id"] in set(activity_list)
    }
    grids: dict[uuid.UUID, list[PriceGrid]] = defaultdict(list)
    for row in await catalog_store.activity_grids(conn, tenant, activity_list):
        grids[row["activity_id"]].append(PriceGrid.from_row(row))
    quotients: dict[uuid.UUID, list[Quotient]] = defaultdict(list)
    for row in await families_store.household_quotients(conn, tenant, households):
        quotients[row["household_id"]].append(
            Quotient(row["value"], row["valid_from"], row["valid_until"], row["recorded_at"])
        )
    siblings: dict[uuid.UUID, list[Sibling]] = defaultdict(list)
    names: dict[uuid.UUID, str] = {}
    for row in await families_store.household_children(conn, tenant, households):
        siblings[row["household_id"]].append(Sibling(row["child_id"], row["birth_date"]))
        names[row["child_id"]] = row["first_name"]
    residents = {
        row["household_id"]: row["resident"]
        for row in await families_store.households_of(conn, tenant, households)
    }
    rules: dict[uuid.UUID, list[BillingRule]] = defaultdict(list)
    for row in await families_store.household_rules(conn, tenant, households):
        rules[row["child_id"]].append(BillingRule.from_row(row))
    return PricingBook(activities, grids, quotients, siblings, residents, names, rules)


def rules_of(activity: dict[str, Any]) -> AttendanceRules:
    return AttendanceRules(
        present=activity["bill_present"],
        absent=activity["bill_absent"],
        absent_justified=activity["bill_absent_justified"],
        unexpected=activity["bill_unexpected"],
    )


async def quote(
    conn: Conn, tenant: str, household_id: uuid.UUID, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """What these days would cost the household, line by line (nothing is recorded)."""
    book = await pricing_book(conn, tenant, [household_id], [x["activity_id"] for x in lines])
    charges, errors = [], []
    for line in lines:
        for day in sorted(set(line["dates"])):
            booked = {
                "booking_id": uuid.uuid4(),
                "child_id": line["child_id"],
                "child_name": None,
                "activity_id": line["activity_id"],
                "day": day,
                "late": line["late"],
            }
            charge, error = book.charge(household_id, booked)
            if charge is None:
                errors.append(
                    {
                        "code": error,
                        "child_id": line["child_id"],
                        "activity_id": line["activity_id"],
                        "date": day,
                    }
                )
                continue
            charges.append(charge)
    grouped = group_lines(
        Charge(
            booking_id=c["booking_id"],
            child_id=c["child_id"],
            child_name=c["child_name"],
            activity_id=c["activity_id"],
            activity_name=c["activity_name"],
            day=c["day"],
            late=c["late"],
            unit=c["unit"],
            unit_cents=c["unit_cents"],
            quantity=c["quantity"],
            bracket=c["bracket"],
        )
        for c in charges
    )
    return {
        "household_id": household_id,
        "lines": [
            {
                "label": x.label,
                "child_id": x.child_id,
                "activity_id": x.activity_id,
                "unit": x.unit,
                "unit_cents": x.unit_cents,
                "quantity": x.quantity,
                "amount_cents": x.amount_cents,
                "detail": x.bracket,
                "late": x.late,
                "dates": sorted(x.days),
            }
            for x in grouped
        ],
        "total_cents": sum(x.amount_cents for x in grouped),
        "errors": errors,
    }


async def price_list(
    conn: Conn, tenant: str, day: date, household_id: uuid.UUID | None
) -> dict[str, Any]:
    """The grids in force on `day`; for a family, also its own unit price (eldest child,
    booked in time) from its QF (the maximum when unknown [003])."""
    rows = await catalog_store.grids_on(conn, tenant, day)
    book = (
        await pricing_book(conn, tenant, [household_id], [r["activity_id"] for r in rows])
        if household_id is not None
        else None
    )
    activities = []
    for row in rows:
        grid = PriceGrid.from_row(row)
        item = {
            "activity_id": row["activity_id"],
            "name": row["activity_name"],
            "regie_name": row["regie_name"],
            "billing_mode": row["billing_mode"],
            "unit": row["unit"],
            "grid": row,
            "your_price": None,
        }
        if book is not None and household_id is not None:
            pricing = book.pricing(household_id, row["activity_id"])
            price = grid.price(
                qf=quotient_on(pricing.quotients, day),
                rank=1,
                late=False,
                resident=pricing.resident,
            )
            item["your_price"] = {"unit_cents": price.unit_cents, "detail": price.bracket}
        activities.append(item)
    return {"date": day, "activities": activities}
