"""`make bench`: every benchmark, figures printed as tables and written to bench/results/*.json.

    python -m bench [--quick]      # --quick: retrieval scales 1x and 10x only
    python -m bench scaleout       # only 1 vs 2 processes on PostgreSQL against the embedding-bound limit
    python -m bench faults         # only the fault/load soak (SQLite file replaced, PostgreSQL frozen)
"""
import sys

from bench import faults, retrieval, scaleout, serving

if __name__ == "__main__":
    if "scaleout" in sys.argv:
        scaleout.run()
        sys.exit(0)
    if "faults" in sys.argv:
        faults.run()
        sys.exit(0)
    quick = "--quick" in sys.argv
    serving.run()
    scaleout.run()
    faults.run()
    retrieval.run((1, 10) if quick else (1, 10, 100))
