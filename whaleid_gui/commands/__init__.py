"""The implementation of each CLI command (thin: parse inputs, call the core, print)."""
