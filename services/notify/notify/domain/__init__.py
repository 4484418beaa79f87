"""The notify service's rules, without I/O: who is told of an event and what each email and
notice says (`recipients`, `account_emails`, `household_emails`, `activity_emails`), news
publication windows and menu weeks (`calendar`, `menus`), French dates, errors."""
