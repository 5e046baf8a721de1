complete --keep-order --exclusive --command bananaui --arguments "(BANANA_COMPLETE=fish bananaui -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
