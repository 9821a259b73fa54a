"""`python -m ringtrace.cli`: the `ringtrace` command."""
from ringtrace.cli import main

main()
