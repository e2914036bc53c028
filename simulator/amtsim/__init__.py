"""amtsim: a stand-in for Intel AMT firmware, one device or a fleet on loopback addresses."""

__version__ = "0.1.0"
