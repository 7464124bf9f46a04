"""The platform's token API: flags, appeals, item status, API clients."""
