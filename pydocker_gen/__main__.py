import sys

from pydocker_gen.launch import main

sys.exit(main())
