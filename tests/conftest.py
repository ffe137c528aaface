"""Settings every test shares: no AWS account, no network, quiet jsii."""

import os

# jsii prints an end-of-life banner on Node 20 at every start.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# boto3 and moto need a region and some credentials; these fake ones reach nothing.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
    os.environ[_name] = "testing"

# Hypothesis: the same examples on every run and every pytest-xdist worker (derandomize:
# the seed comes from each test's name), and no example database next to the checkout.
# HYPOTHESIS_PROFILE=explore draws fresh random examples instead (a local hunt for bugs).
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("deterministic", derandomize=True, database=None)
_hypothesis_settings.register_profile("explore", derandomize=False, database=None)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
