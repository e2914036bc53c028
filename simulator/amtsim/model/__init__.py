"""The simulated AMT device: state, state rules and every served class. Knows nothing of XML or HTTP."""
from amtsim.model.device import Device

__all__ = ["Device"]
