"""`python -m workers`: an RQ worker with the heavy modules loaded before it forks.

The parent process creates the app and loads the classifier once; each job runs in a
forked work horse that shares those pages copy-on-write, so the model is loaded exactly
once per worker process, never per job.
"""

from __future__ import annotations

import argparse
import logging
import os

from rq import Queue, Worker

from c2c_safety.queueing import QUEUES
from c2c_safety.redis_conn import get_redis
from workers.context import get_app
from workers.preload import preload

log = logging.getLogger("workers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--no-preload", action="store_true", help="skip loading the classifier")
    parser.add_argument("--with-scheduler", action="store_true", default=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("C2C_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = get_app()
    conn = get_redis(app)
    if not args.no_preload:
        preload(app, conn)
    if not args.burst:
        from workers.daily import ensure_scheduled

        ensure_scheduled(conn)  # deadline warnings + retention sweep, once a day (idempotent)
        from workers.webhooks import ensure_scheduled as ensure_webhook_reconcile

        ensure_webhook_reconcile(conn)  # pending webhook deliveries, every 5 minutes (idempotent)
    queues = [Queue(name, connection=conn) for name in QUEUES]
    worker = Worker(queues, connection=conn)
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler,
                logging_level=os.environ.get("C2C_LOG_LEVEL", "INFO"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
