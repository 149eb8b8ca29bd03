"""The app as an ASGI factory, for servers that start it in processes of their own.

``linecare api --workers N`` runs uvicorn with N worker processes, each calling
``app_from_environment``: the settings come from the environment (the parent
passes its command-line overrides and one signing secret on), the plant from
the settings' plant file.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from api.app import create_app
from models.plant import load_plant
from settings.linecare_settings import Settings


def app_from_environment() -> FastAPI:
    """A ready app configured from ``LINECARE_*`` variables; it opens its own pool."""
    settings = Settings()
    app = create_app(settings, load_plant(settings.plant_file))
    # The modules, models and routes built so far live as long as the process: moved
    # out of the collector's sight, they are not walked again on every full collection
    # (some 4 % of a busy API process's time in a profile of bench.api).
    gc.freeze()
    return app
