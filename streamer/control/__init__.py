"""The control plane: a FastAPI service that stores briefs and schedules, runs each stream in a supervised worker
process, and lets operators (web panel) and developers (REST, /ws) watch and steer the streams.

    streamer serve --db sqlite:///streamer.db          # or: create_app(ServiceSettings(...))

Layout, following a request: ``app`` (routes in ``api/``, ``auth``) -> ``controller`` (runs, desired state) ->
``backend`` (the interface) implemented by ``supervisor/`` (worker processes over pipes) -> events on ``bus`` ->
``recorder`` (database via ``storage/``), ``metrics``, /ws clients, ``preview/`` (MJPEG, WebRTC). ``scheduler/``
opens and closes windows through the controller.
"""

from .app import create_app
from .config import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
