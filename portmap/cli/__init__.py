"""The command-line faces: thin layers over the engine."""
