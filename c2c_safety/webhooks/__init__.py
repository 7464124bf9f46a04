"""Signed webhooks to the platform: deliveries, retries, the admin's delivery log."""
