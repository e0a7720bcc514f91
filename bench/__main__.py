"""`make bench`: every benchmark, figures printed as tables and written to bench/results/*.json.

    python -m bench [--quick]      # --quick: retrieval scales 1x and 10x only
"""
import sys

from bench import retrieval, serving

if __name__ == "__main__":
    quick = "--quick" in sys.argv
    serving.run()
    retrieval.run((1, 10) if quick else (1, 10, 100))
