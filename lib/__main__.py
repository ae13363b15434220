import os
import sys

# Quiet TensorFlow's C++ info and warning lines on the command line (errors still show).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from lib.cli import main  # noqa: E402

sys.exit(main())
