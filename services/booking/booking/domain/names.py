"""Searching children by name as staff type it: case and accents do not matter."""

from __future__ import annotations

import unicodedata

# A search shows at most this many children: enough to pick from, never a whole register.
SEARCH_LIMIT = 20


def fold(text: str) -> str:
    """Lower case without accents (« Éloïse » → « eloise »), as the store folds names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_words(query: str) -> list[str]:
    """The folded words of a query, each of which a name must hold; none for a blank query."""
    return fold(query).split()
