"""gunicorn settings for the desk: `gunicorn -c gunicorn.conf.py app:app` (gunicorn also
loads this file by itself when started from the project folder). Command-line flags and
GUNICORN_CMD_ARGS override any value here; docs/deploy.md shows production flags.

The logging part is the point: no log line holds a client address, so the anonymous
channel's promise holds in the server's own logs too (c2c_safety/core/serving.py).
"""

from c2c_safety.core.serving import ACCESS_LOG_FORMAT, LOGCONFIG

bind = "127.0.0.1:8000"
worker_class = "gthread"
threads = 4
# An upload request checks up to five files in the sandbox within 40 s
# (c2c_safety/core/sandbox.py): a worker must not be killed while it waits for them.
timeout = 60
graceful_timeout = 20
max_requests = 5000
max_requests_jitter = 500

accesslog = "-"
access_log_format = ACCESS_LOG_FORMAT
errorlog = "-"
logconfig_dict = LOGCONFIG
