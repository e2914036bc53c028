"""Allow ``python -m amtsim``."""
import sys

from amtsim.cli import main

sys.exit(main())
