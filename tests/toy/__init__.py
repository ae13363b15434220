"""A toy fourth task, written only here, to prove that a task is its own files and one line (here: DLMI_TASKS)."""
