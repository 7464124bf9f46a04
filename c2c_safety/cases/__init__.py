"""Case files: whistleblowing and escalations, access and exclusions, deadlines, redaction."""
