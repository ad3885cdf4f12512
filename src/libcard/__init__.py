"""libcard — digital library cards for a public library."""

__version__ = "0.1.0"
