"""`python -m bench` runs the benchmark suite (the same as `python -m bench.run`)."""

import sys

from bench.run import main

sys.exit(main())
