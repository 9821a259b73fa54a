"""The workflow layer: each user-visible job done whole, in one place, for every front end.

The CLI (`ringtrace/cli/commands/`), `ringtrace demo` and the workbench (`workbench/`) parse input and render
output; everything between is a workflow here: it checks the actor's rights (ringtrace.core.rights), does the
whole job (a load raises its alerts; a detection run is compared with the last run and the cross-run
CONTINUES links saved; a trace saves ATTRIBUTED_TO), writes the audit record (ringtrace.core.audit), and reports
progress to the `ringtrace.core.progress.Progress` the front end passes. A refusal is audited once, here."""
