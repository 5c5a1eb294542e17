"""What a check uses on a running platform, above the platform and below the checks: the faults it
injects beyond one worker's supervision (``faults``: concurrent bursts) and what it observes
(``local_state``: what processes wrote, ``memory``: how much they held, ``attached``: whom they
connected to, ``inventory``: what the stores hold)."""
