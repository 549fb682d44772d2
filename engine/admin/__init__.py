"""Admin operations shared by the console, scripts and daemons: queues, consumers, events."""
