"""The token API for the Class2Class platform (`/api/v1`). CSRF-exempt: bearer keys, no cookies."""

from c2c_safety.blueprints.api.auth import api_blueprint

bp = api_blueprint("api", __name__)

from c2c_safety.blueprints.api import views  # noqa: E402,F401
