"""Use cases. Entry points (api, cli) call these; these compose db, registry, serving,
monitoring and training. They never know about HTTP or the terminal."""
