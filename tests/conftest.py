"""What the cross-service journeys share."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def demo_household() -> dict[str, Any]:
    """A household staff open for the demo family's account (famille@demo.example)."""
    return {
        "address": {"line1": "3 place de la Mairie", "postal_code": "74330", "city": "Epagny"},
        "guardians": [
            {
                "first_name": "Marie",
                "last_name": "Durand",
                "email": "famille@demo.example",
                "phones": ["06 12 34 56 78"],
            }
        ],
        "children": [
            {
                "first_name": "Léo",
                "last_name": "Durand",
                "birth_date": "2017-05-03",
                "sex": "M",
                "school": "École du centre",
                "grade": "CE2",
            }
        ],
    }
