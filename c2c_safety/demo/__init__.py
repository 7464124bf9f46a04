"""Demo data and `flask demo …`. Used by the demo and tests only; never imported by business code."""
