"""Settings for the `serve` test: the product's settings plus one extra process that records its pid."""

import os
import sys

from guichet.settings import *  # noqa: F403

_PID_FILE = os.environ["GUICHET_TEST_EXTRA_PID_FILE"]
GUICHET_EXTRA_PROCESSES = [[
    sys.executable, "-c",
    f"import os, time; open({_PID_FILE!r}, 'w').write(str(os.getpid())); time.sleep(600)",
]]
