import sys

from libcard.cli import main

sys.exit(main())
