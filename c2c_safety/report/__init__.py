"""The anonymous reporting channel: the public form, receipts, follow-up, attachments."""
