"""Broken: its Procfile runs a script that never listens on $PORT."""
import time

print("starting up, but never binding", flush=True)
time.sleep(600)
