"""Lock the new project with uv when it is installed, then generate its Dockerfile."""

import shutil
import subprocess
import sys

if shutil.which("uv") is None:
    print("Next: install uv, then run `uv lock && pydocker-gen generate` in the new project.")
    sys.exit(0)
locked = subprocess.run(["uv", "lock"], check=False)
if locked.returncode != 0:
    print("`uv lock` failed; run it again, then `pydocker-gen generate`.")
    sys.exit(0)
sys.exit(subprocess.run([sys.executable, "-m", "pydocker_gen", "generate"], check=False).returncode)
