"""Wall-clock phases (time.perf_counter) and peak RSS for the JSON reports."""
import resource
import statistics
import time
from contextlib import contextmanager

import torch


def synchronize(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


class Phases:
    """Named phase durations in seconds; a CUDA device is synchronised at both ends of a phase."""

    def __init__(self, device):
        self.device = device
        self.seconds = {}

    @contextmanager
    def measure(self, name):
        synchronize(self.device)
        start = time.perf_counter()
        yield
        synchronize(self.device)
        self.seconds[name] = time.perf_counter() - start


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def median(values):
    return statistics.median(values) if values else None
