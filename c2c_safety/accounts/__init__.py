"""Staff accounts: sign-in, two-factor, passwords, roles, the admin's account pages."""
