complete --keep-order --exclusive --command bananadm --arguments "(BANANA_COMPLETE=fish bananadm -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
