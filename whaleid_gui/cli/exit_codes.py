"""The exit statuses of every whaleid command (one place: scripts and tests rely on them)."""

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran but did not do its job (nothing could be matched, problems found, ...)
EXIT_BAD_INPUT = 2  # bad input or options: one line on stderr says what and names the file (argparse too)
EXIT_CONFLICT = 3  # someone else decided a photo first (whaleid decide): not applied, kept in the history
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
