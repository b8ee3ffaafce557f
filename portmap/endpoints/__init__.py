"""`portmap run`'s endpoints: faces that serve what the watch saw."""
