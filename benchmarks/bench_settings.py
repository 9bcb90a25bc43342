"""Settings of the benchmark's server processes: the project's, plus one bare route.

Figure 1 compares the upload API with a bare view on the same server; the view lives
here, not in the product's URLconf, so it exists only while `make bench` runs.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
