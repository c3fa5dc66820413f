"""posehar's version, kept here alone (pyproject.toml reads it) so that any module may import it."""

__version__ = "0.1.0"
