"""The clock has nothing to do: the web processes run the cleanup themselves."""
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(60)
