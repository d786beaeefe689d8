"""Allocator tuning for numpy-heavy months (glibc only; a no-op elsewhere).

A month of the model allocates and frees a few hundred temporary arrays of 0.1-30 MB. By
default glibc serves each of them with a fresh `mmap` and returns it with `munmap` (or
trims the heap), so every month pays the kernel's page faults again: about 15-20 % of a
month at 100,000 firms, and 133 ms of system time a month at 1,000,000
(docs/PERFORMANCE.md). Raising the mmap threshold to 32 MB and the trim threshold to 1 GB
keeps those pages in the process's heap for reuse: the process keeps its peak memory
instead of handing it back and faulting it in again each month (measured at 1M firms: the
same peak RSS, 1.11 GB, and 4 ms of system time a month).

Set SME_MALLOC_TUNING=0 to leave the allocator alone. The results do not depend on it.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 1 << 30  # freed heap memory is kept (RSS stays at the peak, not above it)
TOP_PAD = 16 << 20

_done: bool | None = None


def tune() -> bool:
    """Apply the tuning once per process; True when it is in effect."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if os.environ.get("SME_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return _done
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                 and mallopt(M_TOP_PAD, TOP_PAD))
    return _done
