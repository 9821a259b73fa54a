"""One module per workbench page: what the page shows, calling the same functions as the CLI."""
