"""Training: configurations and presets, the job that runs one training, progress reporting, executors.

The pieces:

- ``config``: validated configurations and the "course" / "quick" presets per task
- ``progress``: the Keras callback that writes progress and history into the run folder and obeys stop
- ``job``: runs one configured run folder start to end (queue slot, TensorFlow set-up, task, saving)
- ``tasks``: what "train" means for dr, lung2d and lung3d (data, model, fit, test predictions, metrics)
- ``executor``: where jobs run (a local worker process per job); the run folder is the only interface
"""
