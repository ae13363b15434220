import os
import sys

if __name__ == "__main__":
    # Quiet TensorFlow's C++ info and warning lines on the command line (errors still show).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from lib.cli import main

    sys.exit(main())
