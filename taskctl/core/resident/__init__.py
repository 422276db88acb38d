"""A resident process per store: change notification and the channel to it (the server
itself is `cli/resident.py`; the commands `cli/serve.py`)."""
