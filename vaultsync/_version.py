"""The version of vaultsync, in one place."""

__version__ = "0.1.0"
