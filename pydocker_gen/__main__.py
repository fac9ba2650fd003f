import sys

from pydocker_gen.cli import main

sys.exit(main())
