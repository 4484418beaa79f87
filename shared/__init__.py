"""Common code of the Portail Famille services."""
