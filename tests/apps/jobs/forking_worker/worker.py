"""A worker that starts a helper in a process group of its own, as RQ does with its work horse.

The helper burns 0.3 s of CPU, then idles; the worker notes its name in a file (and leaves a file
in its scratch space), prints the helper's pid, then idles too.
"""
import os
import time

helper = os.fork()
if helper == 0:
    os.setpgrp()
    busy_until = time.process_time() + 0.3
    while time.process_time() < busy_until:
        pass
    while True:
        time.sleep(60)
os.setpgid(helper, helper)  # the parent sets it too, so it holds by the time the pid is printed
with open("note.txt", "w") as note:
    note.write(os.environ["DYNO"])
with open(os.path.join(os.environ["TMPDIR"], "left.txt"), "w") as left:
    left.write("never removed")
print(f"{os.environ['DYNO']} started helper {helper}", flush=True)
while True:
    time.sleep(60)
