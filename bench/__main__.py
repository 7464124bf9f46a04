"""`python -m bench` (`make bench`): run the registered benches, print one table."""

from bench.registry import main

raise SystemExit(main())
