"""Model builders: each returns an uncompiled, named ``keras.Model``. Compiling and fitting live in ``lib.training``."""
