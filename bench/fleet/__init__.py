"""`make simulate`: evercert's scheduling, pacing and retry policy run for a fleet on a simulated clock."""

from .simulation import Figures, Fleet, FleetSimulation

__all__ = ["Figures", "Fleet", "FleetSimulation"]
