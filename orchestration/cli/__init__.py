"""The `hubpulse` command line (`main.py`) and the tooling behind it (demo, build, doctor, imports, prepare, summary).

Nothing is imported here: `python -m orchestration.cli.main` then runs the module once, not a copy imported
by the package first (runpy's warning), and `hubpulse --help` stays quick.
"""
