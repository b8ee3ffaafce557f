"""portmap: find the switch port, and the host behind it, that is flooding the network."""

__version__ = "0.1.0"
