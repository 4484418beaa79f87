"""Identity service: accounts, authentication and access tokens for Portail Famille."""
