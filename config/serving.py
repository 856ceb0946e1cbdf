"""Process settings for serving many live sockets, applied once the app is loaded."""

import gc
import os
import sys


def tune_for_live_serving() -> None:
    # Edits run in worker threads beside the event loop that delivers events; at the default
    # 5 ms GIL switch interval one can starve the other for that long per hand-over.
    sys.setswitchinterval(float(os.environ.get("JOURNEYBOARD_SWITCH_INTERVAL", "0.001")))
    # Everything loaded so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise walk it and stall every socket of the process (p99).
    gc.freeze()
