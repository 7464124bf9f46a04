"""Notices to staff: an in-app inbox for everyone and e-mail through SMTP (docs/notifications.md)."""
