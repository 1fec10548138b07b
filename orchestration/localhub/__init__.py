"""The local Hub: a Hub-compatible server on loopback and the simulator that feeds it (test and demo infrastructure, not the pipeline)."""
