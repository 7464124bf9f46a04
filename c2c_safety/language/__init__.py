"""A staff member's page language, kept on their account (never in a cookie)."""
