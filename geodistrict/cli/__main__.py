"""``python -m geodistrict.cli``: the command line (as ``geodistrict``)."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
