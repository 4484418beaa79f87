"""The portal's plain rules: French formatting, sessions, CSRF, API problems, the theme."""
