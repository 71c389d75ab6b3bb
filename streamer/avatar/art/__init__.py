"""Procedural art for the bundled default host: the painter, the face, the body and the pack generator."""
