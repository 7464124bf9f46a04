"""c2c-safety: the moderation and safeguarding desk of Class2Class."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from c2c_safety.core.config import PROJECT_ROOT, Config


def create_app(config: Config | None = None) -> Flask:
    """Wire config, extensions, blueprints, error handlers and CLI. Runs no query, loads no model."""
    cfg = config or Config.from_env()
    app = Flask(
        __name__,
        instance_path=str(cfg.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
    )
    app.config.from_mapping(cfg.flask_mapping())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=os.environ.get("C2C_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from c2c_safety.core import db, redis_conn, web

    db.init_app(app, cfg.database_url)
    redis_conn.init_app(app, cfg.redis_url)
    web.init_app(app)

    from c2c_safety.core import templating

    templating.init_app(app)

    from c2c_safety.core import locale

    locale.init_app(app)

    from c2c_safety.core import form_texts

    form_texts.install()  # WTForms' own messages from our catalogs (it ships no Danish)

    from c2c_safety import features

    features.register_blueprints(app)
    features.register_commands(app)
    return app
