import os
import sys

if __name__ == "__main__":
    # Quiet TensorFlow's C++ info and warning lines on the command line (errors still show).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.umask(0o077)  # what the command line writes (runs, caches, demo data, the class file) is this user's only

    from lib.cli import main  # after the settings above, which TensorFlow reads when it starts

    sys.exit(main())
