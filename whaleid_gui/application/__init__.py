"""The application layer: the use cases the command line and the app both call (issue 12).

Qt-free and worker-free: it imports whaleid_gui.core only. A use case is a generator of
core.progress events that returns its result (the GUI runs it in a worker), with a thin
synchronous wrapper for the command line.
"""
