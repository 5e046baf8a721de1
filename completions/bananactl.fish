complete --keep-order --exclusive --command bananactl --arguments "(BANANA_COMPLETE=fish bananactl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
