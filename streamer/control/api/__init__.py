"""HTTP and WebSocket routes, one module per resource; errors are mapped to status codes in ``control.app``."""
