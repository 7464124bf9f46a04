"""Business rules, one module per concern. Views and jobs call these; they hold no HTTP."""
