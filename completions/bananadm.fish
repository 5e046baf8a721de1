# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_bananadm_global_optspecs
    string join \n vault-addr= vault-ca= token-file= mount= approle-mount= insecure-http json v/verbose h/help V/version
end

function __fish_bananadm_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_bananadm_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_bananadm_using_subcommand
    set -l cmd (__fish_bananadm_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c bananadm -n "__fish_bananadm_needs_command" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_needs_command" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_needs_command" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_needs_command" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_needs_command" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_needs_command" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_needs_command" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_needs_command" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bananadm -n "__fish_bananadm_needs_command" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "vault" -d 'Set Vault up for Banana'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "node" -d 'Enrol, inspect, rotate and remove nodes'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "restore" -d 'Grant a restore'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "breakglass" -d 'Offline break-glass recipients every backup is also encrypted to'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "storage" -d 'What to install on the storage: append-only S3 policies'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "prune" -d 'Forget and delete by each node\'s retention policy (reaper host, banana-reaper token; never decrypts)'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "reaper" -d 'The reaper\'s Vault token and policy'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "drill" -d 'Prove nodes\' backups restore (drill host, admin token): a restore grant per node, a sample restored and verified, the grant revoked'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "drill-host" -d 'The drill host\'s link to the watch tower'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "copy" -d 'Copy nodes\' repositories to their second locations (copier host, banana-copier token; objects checked against their names, never decrypted, nothing deleted)'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "copier" -d 'The copier\'s Vault token and policy, and its link to the tower'
complete -c bananadm -n "__fish_bananadm_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -f -a "init" -d 'Enable KV v2 and AppRole and write the admin policy; a second run changes nothing'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -f -a "policy" -d 'Print the minimal admin policy (use it instead of a root token)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and not __fish_seen_subcommand_from init policy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l dry-run -d 'Print every change it would make, and make none'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l allow-root -d 'Run even with a root token (the first setup needs one; day-to-day use should not)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from policy" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "init" -d 'Enable KV v2 and AppRole and write the admin policy; a second run changes nothing'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "policy" -d 'Print the minimal admin policy (use it instead of a root token)'
complete -c bananadm -n "__fish_bananadm_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "add" -d 'Enrol a node: keys, policy, AppRole; prints the one command to run on the node'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "list" -d 'List enrolled nodes'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "show" -d 'Show a node (no secrets)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "rotate" -d 'New identity for future backups; older ones stay for restores'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "remove" -d 'Revoke a node\'s access (keys kept unless --purge-keys)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "secret" -d 'Store a job\'s credentials (database, plugin) in the node\'s agent secret'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "reaper" -d 'Let the reaper prune a node: its metadata key and a storage credential that deletes'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "retention" -d 'Set a node\'s retention policy (what \'bananadm prune\' keeps)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "copy" -d 'Set where a node\'s second copy goes: the copier\'s read-only credential of its storage, an append-only one at the destination'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and not __fish_seen_subcommand_from add list show rotate remove secret reaper retention copy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l storage -d 'The node\'s repository location (stored in its agent secret): a directory, s3://HOST[:PORT]/BUCKET/PREFIX[?region=..&path_style=true&tls=false], or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX[?auth=v1|v3&tls=false&region=..]' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l storage-credentials -d 'The node\'s storage credential: a TOML file, mode 0600, with `access_key` and `secret_key` (S3), `user` and `key` (Swift v1), or `user`, `password`, `project` (Keystone v3); stored in its agent and restore secrets, never on the node' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l collector -d 'The watch tower\'s URL, where the node sends its status' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l ttl -d 'Lifetime of the token a run gets' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l wrap-ttl -d 'Lifetime of the wrapped, single-use enrolment secret' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l replace -d 'Re-issue the credentials of an existing node (its keys are kept)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l purge-keys -d 'Also destroy its restore identities: its backups become unreadable except with break-glass keys'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l yes -d 'Confirm --purge-keys'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l from-file -d 'The credentials (\'-\' reads stdin): for mysql a client defaults file ([client] user, password, host, port), for postgres the password, for a plugin what it reads from BANANA_SECRET_FILE' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l replace -d 'Replace credentials the job already has'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l remove -d 'Remove the job\'s credentials (older versions stay in the KV secret\'s history until Vault drops them)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from secret" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l storage-credentials -d 'The reaper\'s storage credential for this node\'s repository (TOML, mode 0600, as for \'node add\'): one that may list, read and delete. Not needed for a directory' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l copy -d 'The credential is for the node\'s second copy (\'bananadm node copy\'): one that may list, read and delete there'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from reaper" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l job -d 'The policy of this job only (default: of every job without its own)' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-last -d 'Keep the newest N snapshots that did not fail' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-hourly -d 'Keep one snapshot for each of the last N hours that have one (UTC)' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-daily -d 'Keep one snapshot for each of the last N days that have one (UTC)' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-weekly -d 'Keep one snapshot for each of the last N ISO weeks that have one' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-monthly -d 'Keep one snapshot for each of the last N months that have one' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-yearly -d 'Keep one snapshot for each of the last N years that have one' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-within -d 'Keep every snapshot within DURATION (e.g. 30d, 1y) of the newest' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l keep-tag -d 'Keep every snapshot carrying TAG; repeatable' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l clear -d 'Remove the policy (of --job, or the default): keep everything'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l copy -d 'The policy of the node\'s second copy (keep longer there): the reaper prunes the copy by it, the copier never deletes'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from retention" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l to -d 'The destination: a directory (an NFS or Samba mount on the copier host), s3://… or swift://… (one location per node)' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l storage-credentials -d 'The copier\'s credential at the destination (TOML, mode 0600): one that may list, read and create, never delete (\'bananadm storage policy NODE --copy-to URL\'). Not needed for a directory' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l source-credentials -d 'The copier\'s credential of the node\'s storage: one that may list and read, nothing else. Not needed for a directory' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from copy" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "add" -d 'Enrol a node: keys, policy, AppRole; prints the one command to run on the node'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "list" -d 'List enrolled nodes'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a node (no secrets)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'New identity for future backups; older ones stay for restores'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Revoke a node\'s access (keys kept unless --purge-keys)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "secret" -d 'Store a job\'s credentials (database, plugin) in the node\'s agent secret'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "reaper" -d 'Let the reaper prune a node: its metadata key and a storage credential that deletes'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "retention" -d 'Set a node\'s retention policy (what \'bananadm prune\' keeps)'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Set where a node\'s second copy goes: the copier\'s read-only credential of its storage, an append-only one at the destination'
complete -c bananadm -n "__fish_bananadm_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -f -a "grant" -d 'Issue a restore grant for a node'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and not __fish_seen_subcommand_from grant help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l ttl -d 'How long the grant is valid' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l uses -d 'How many reads of the identities the inner token allows. The grant itself unwraps once, and one bananactl command uses it up' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from grant" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from help" -f -a "grant" -d 'Issue a restore grant for a node'
complete -c bananadm -n "__fish_bananadm_using_subcommand restore; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -f -a "keygen" -d 'Make a break-glass key: prints the identity ONCE (store it offline); Vault keeps only the public half'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -f -a "add" -d 'Add an existing age recipient (its identity already kept offline)'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and not __fish_seen_subcommand_from keygen add help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from keygen" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Make a break-glass key: prints the identity ONCE (store it offline); Vault keeps only the public half'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add an existing age recipient (its identity already kept offline)'
complete -c bananadm -n "__fish_bananadm_using_subcommand breakglass; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -f -a "policy" -d 'Print the node\'s and the reaper\'s S3 policies, and the same as a SeaweedFS identities file, for an append-only node; for a Swift location, the container ACL commands'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and not __fish_seen_subcommand_from policy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l storage -d 'The node\'s repository location: s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l node-user -d 'Swift: the node\'s user as ACLs name it (tempauth ACCOUNT:USER, Keystone PROJECT_ID:USER_ID); default ACCOUNT:NAME, to fill in' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l reaper-user -d 'Swift: the reaper\'s user as ACLs name it; default ACCOUNT:reaper' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l copy-to -d 'Also print the copier\'s policies for the node\'s second copy at this location (\'bananadm node copy\'): read-only on the node\'s storage, append-only here' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l copier-user -d 'Swift: the copier\'s user as ACLs name it; default ACCOUNT:copier' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from policy" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "policy" -d 'Print the node\'s and the reaper\'s S3 policies, and the same as a SeaweedFS identities file, for an append-only node; for a Swift location, the container ACL commands'
complete -c bananadm -n "__fish_bananadm_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l grace -d 'Time between condemning a pack and deleting it (at least 1h): a backup that started before must have finished within it' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l state-dir -d 'The reaper\'s state: the dates it trusts, its clocks [default: /var/lib/banana/reaper for root, else $XDG_DATA_HOME/banana/reaper]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l tower -d 'The watch tower whose `received_at` dates the nodes\' snapshots where it is earlier than storage\'s [default: the tower the reaper enrolled at, \'bananadm reaper enroll\']' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l viewer-token-file -d 'The tower\'s viewer token, in a file (when its API needs one)' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l max-forget -d 'Most of a job\'s snapshots one run may forget, in percent [default: 20]; the rest is held (exit 3) until the next run or --force' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l max-skew -d 'A snapshot whose storage date is further than this from the time it claims is held and fills no bucket [default: 1h]' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l all -d 'Every node with a reaper secret'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l dry-run -d 'Print what would be forgotten; change nothing'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l force -d 'Forget more than a fifth of a job\'s snapshots in one run'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand prune" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -f -a "token" -d 'Issue a token with the banana-reaper policy, for the reaper host'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -f -a "policy" -d 'Print the banana-reaper policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -f -a "enroll" -d 'Enrol this reaper\'s status key at the watch tower (after \'bananaui node add NAME --reaper\' there): \'bananadm prune\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and not __fish_seen_subcommand_from token policy enroll help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l ttl -d 'How long it is valid' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from token" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from policy" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l name -d 'The name the tower knows it by (\'bananaui node add NAME --reaper\', \'--drill\' or \'--copier\')' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l collector -d 'The watch tower\'s URL' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l collector-code -d 'The single-use code from \'bananaui node add NAME --reaper\' (or \'--drill\', \'--copier\')' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l state-dir -d 'The reaper\'s state [default: as \'bananadm prune\']' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l insecure-http -d 'Allow plain http:// to the tower on a non-loopback address'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from enroll" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from help" -f -a "token" -d 'Issue a token with the banana-reaper policy, for the reaper host'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from help" -f -a "policy" -d 'Print the banana-reaper policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from help" -f -a "enroll" -d 'Enrol this reaper\'s status key at the watch tower (after \'bananaui node add NAME --reaper\' there): \'bananadm prune\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand reaper; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l job -d 'Drill only this job of each node' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l sample -d 'How much of a snapshot of files: N% of its files, N files, or a size (e.g. 500M); database streams are always whole' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l grant-ttl -d 'How long each node\'s restore grant is valid' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l state-dir -d 'The drill host\'s state: its scratch directories and its link to the tower [default: /var/lib/banana/drill for root, else $XDG_DATA_HOME/banana/drill]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l all -d 'Every enrolled node'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l deep -d 'Also restore database streams into throwaway servers'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -f -a "token" -d 'Issue a token with the banana-drill policy, for the drill host: it may take restore grants (and revoke them), nothing else'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -f -a "policy" -d 'Print the banana-drill policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -f -a "enroll" -d 'Enrol this drill host\'s status key at the watch tower (after \'bananaui node add NAME --drill\' there): \'bananadm drill\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and not __fish_seen_subcommand_from token policy enroll help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l ttl -d 'How long it is valid' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from token" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from policy" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l name -d 'The name the tower knows it by (\'bananaui node add NAME --reaper\', \'--drill\' or \'--copier\')' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l collector -d 'The watch tower\'s URL' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l collector-code -d 'The single-use code from \'bananaui node add NAME --reaper\' (or \'--drill\', \'--copier\')' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l state-dir -d 'The drill host\'s state [default: as \'bananadm drill\']' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l insecure-http -d 'Allow plain http:// to the tower on a non-loopback address'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from enroll" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from help" -f -a "token" -d 'Issue a token with the banana-drill policy, for the drill host: it may take restore grants (and revoke them), nothing else'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from help" -f -a "policy" -d 'Print the banana-drill policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from help" -f -a "enroll" -d 'Enrol this drill host\'s status key at the watch tower (after \'bananaui node add NAME --drill\' there): \'bananadm drill\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand drill-host; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l connections -d 'Objects copied at the same time, per node' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l limit-upload -d 'Limit writes to each destination to this many KiB/s' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l state-dir -d 'The copier\'s state: what it copied, its link to the tower [default: /var/lib/banana/copier for root, else $XDG_DATA_HOME/banana/copier]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l all -d 'Every node with a second copy'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l dry-run -d 'List both ends and say what would be copied; write nothing'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l accept-lost -d 'Stop reporting the snapshots a source has lost (after you have looked at them): they are recorded as accepted'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand copy" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -f -a "token" -d 'Issue a token with the banana-copier policy, for the copier host: it reads the nodes\' copy secrets, nothing else'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -f -a "policy" -d 'Print the banana-copier policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -f -a "enroll" -d 'Enrol this copier\'s status key at the watch tower (after \'bananaui node add NAME --copier\' there): \'bananadm copy\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and not __fish_seen_subcommand_from token policy enroll help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l ttl -d 'How long it is valid' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from token" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the admin token would cross the network in clear)'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from policy" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l name -d 'The name the tower knows it by (\'bananaui node add NAME --reaper\', \'--drill\' or \'--copier\')' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l collector -d 'The watch tower\'s URL' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l collector-code -d 'The single-use code from \'bananaui node add NAME --reaper\' (or \'--drill\', \'--copier\')' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l state-dir -d 'The copier\'s state [default: as \'bananadm copy\']' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l vault-addr -d 'Vault\'s address' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l token-file -d 'File holding the admin token [default: the VAULT_TOKEN environment variable]' -r -F
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l mount -d 'KV v2 mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l approle-mount -d 'AppRole auth mount Banana uses' -r
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l insecure-http -d 'Allow plain http:// to the tower on a non-loopback address'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -l json -d 'Machine output: one JSON object per line'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -s v -l verbose -d 'More detail on stderr'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -s h -l help -d 'Print help'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from enroll" -s V -l version -d 'Print version'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from help" -f -a "token" -d 'Issue a token with the banana-copier policy, for the copier host: it reads the nodes\' copy secrets, nothing else'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from help" -f -a "policy" -d 'Print the banana-copier policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from help" -f -a "enroll" -d 'Enrol this copier\'s status key at the watch tower (after \'bananaui node add NAME --copier\' there): \'bananadm copy\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand copier; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "vault" -d 'Set Vault up for Banana'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "node" -d 'Enrol, inspect, rotate and remove nodes'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "restore" -d 'Grant a restore'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "breakglass" -d 'Offline break-glass recipients every backup is also encrypted to'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "storage" -d 'What to install on the storage: append-only S3 policies'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "prune" -d 'Forget and delete by each node\'s retention policy (reaper host, banana-reaper token; never decrypts)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "reaper" -d 'The reaper\'s Vault token and policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "drill" -d 'Prove nodes\' backups restore (drill host, admin token): a restore grant per node, a sample restored and verified, the grant revoked'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "drill-host" -d 'The drill host\'s link to the watch tower'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "copy" -d 'Copy nodes\' repositories to their second locations (copier host, banana-copier token; objects checked against their names, never decrypted, nothing deleted)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "copier" -d 'The copier\'s Vault token and policy, and its link to the tower'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and not __fish_seen_subcommand_from vault node restore breakglass storage prune reaper drill drill-host copy copier help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "init" -d 'Enable KV v2 and AppRole and write the admin policy; a second run changes nothing'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "policy" -d 'Print the minimal admin policy (use it instead of a root token)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "add" -d 'Enrol a node: keys, policy, AppRole; prints the one command to run on the node'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "list" -d 'List enrolled nodes'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "show" -d 'Show a node (no secrets)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "rotate" -d 'New identity for future backups; older ones stay for restores'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "remove" -d 'Revoke a node\'s access (keys kept unless --purge-keys)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "secret" -d 'Store a job\'s credentials (database, plugin) in the node\'s agent secret'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "reaper" -d 'Let the reaper prune a node: its metadata key and a storage credential that deletes'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "retention" -d 'Set a node\'s retention policy (what \'bananadm prune\' keeps)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "copy" -d 'Set where a node\'s second copy goes: the copier\'s read-only credential of its storage, an append-only one at the destination'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from restore" -f -a "grant" -d 'Issue a restore grant for a node'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from breakglass" -f -a "keygen" -d 'Make a break-glass key: prints the identity ONCE (store it offline); Vault keeps only the public half'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from breakglass" -f -a "add" -d 'Add an existing age recipient (its identity already kept offline)'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from storage" -f -a "policy" -d 'Print the node\'s and the reaper\'s S3 policies, and the same as a SeaweedFS identities file, for an append-only node; for a Swift location, the container ACL commands'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from reaper" -f -a "token" -d 'Issue a token with the banana-reaper policy, for the reaper host'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from reaper" -f -a "policy" -d 'Print the banana-reaper policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from reaper" -f -a "enroll" -d 'Enrol this reaper\'s status key at the watch tower (after \'bananaui node add NAME --reaper\' there): \'bananadm prune\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from drill-host" -f -a "token" -d 'Issue a token with the banana-drill policy, for the drill host: it may take restore grants (and revoke them), nothing else'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from drill-host" -f -a "policy" -d 'Print the banana-drill policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from drill-host" -f -a "enroll" -d 'Enrol this drill host\'s status key at the watch tower (after \'bananaui node add NAME --drill\' there): \'bananadm drill\' reports there'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from copier" -f -a "token" -d 'Issue a token with the banana-copier policy, for the copier host: it reads the nodes\' copy secrets, nothing else'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from copier" -f -a "policy" -d 'Print the banana-copier policy'
complete -c bananadm -n "__fish_bananadm_using_subcommand help; and __fish_seen_subcommand_from copier" -f -a "enroll" -d 'Enrol this copier\'s status key at the watch tower (after \'bananaui node add NAME --copier\' there): \'bananadm copy\' reports there'
