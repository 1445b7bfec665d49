"""One scheduler for all Certificates: a due-time work queue feeding a bounded pool of workers."""

from .queue import WorkQueue
from .scheduler import Scheduler, Work, retry_delay
from .settings import SchedulingSettings
from .slots import IssuanceSlots

__all__ = ["IssuanceSlots", "Scheduler", "SchedulingSettings", "Work", "WorkQueue", "retry_delay"]
