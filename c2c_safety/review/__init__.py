"""The moderators' desk: queue, claims, decisions, statements of reasons, appeals, policy."""
