# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_bananaui_global_optspecs
    string join \n v/verbose h/help V/version
end

function __fish_bananaui_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_bananaui_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_bananaui_using_subcommand
    set -l cmd (__fish_bananaui_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c bananaui -n "__fish_bananaui_needs_command" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_needs_command" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_needs_command" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_needs_command" -f -a "serve" -d 'Run the collector: ingest, store, alerts, JSON API, metrics and page'
complete -c bananaui -n "__fish_bananaui_needs_command" -f -a "tui" -d 'The fleet in a terminal: worst first, node detail, alerts (over the JSON API)'
complete -c bananaui -n "__fish_bananaui_needs_command" -f -a "node" -d 'Manage the nodes known to this tower'
complete -c bananaui -n "__fish_bananaui_needs_command" -f -a "alert" -d 'Alerts that stay until an operator acknowledges them'
complete -c bananaui -n "__fish_bananaui_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananaui -n "__fish_bananaui_using_subcommand serve" -l listen -d 'Address to listen on (plain HTTP; put TLS in a reverse proxy) [default: 127.0.0.1:7460]' -r
complete -c bananaui -n "__fish_bananaui_using_subcommand serve" -l config -d 'Collector config file (TOML; see docs/examples/bananaui.toml)' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand serve" -l data -d 'Data directory (the database, pending requests, the admin socket) [default: `data` in the config, else /var/lib/banana-tower]' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand serve" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand serve" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand serve" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand tui" -l url -d 'The tower\'s URL' -r
complete -c bananaui -n "__fish_bananaui_using_subcommand tui" -l token-file -d 'File holding the viewer token (needed when the tower is exposed)' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand tui" -l refresh -d 'Seconds between polls' -r
complete -c bananaui -n "__fish_bananaui_using_subcommand tui" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand tui" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand tui" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and not __fish_seen_subcommand_from add remove list help" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and not __fish_seen_subcommand_from add remove list help" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and not __fish_seen_subcommand_from add remove list help" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and not __fish_seen_subcommand_from add remove list help" -f -a "add" -d 'Issue single-use enrolment codes for nodes (only their hashes are kept), asked of the collector serving the data directory: refused when none runs there, and for a node already enrolled unless `--replace`'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and not __fish_seen_subcommand_from add remove list help" -f -a "remove" -d 'Forget decommissioned nodes: key, jobs, history and alerts'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and not __fish_seen_subcommand_from add remove list help" -f -a "list" -d 'List enrolled nodes with their state (from the running tower\'s API)'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and not __fish_seen_subcommand_from add remove list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l ttl -d 'How long the code stays valid' -r
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l url -d 'The tower\'s URL as nodes reach it, http(s) (shown in the command to run on each node)' -r
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l config -d 'Collector config file (TOML; see docs/examples/bananaui.toml)' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l data -d 'Data directory (the database, pending requests, the admin socket) [default: `data` in the config, else /var/lib/banana-tower]' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l replace -d 'Allow the code to replace the key of an already enrolled node (one that lost its key); without it an enrolled node is refused'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l reaper -d 'Enrol a reaper (\'bananadm prune\' on the reaper host): it may send only prune reports, and a node may not send them'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l drill -d 'Enrol a drill host (restore drills of other nodes\' backups): it may send only drill reports, about any enrolled node'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -l copier -d 'Enrol a copier (copies of other nodes\' repositories to a second location): it may send only copy reports, about any enrolled node'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from remove" -l config -d 'Collector config file (TOML; see docs/examples/bananaui.toml)' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from remove" -l data -d 'Data directory (the database, pending requests, the admin socket) [default: `data` in the config, else /var/lib/banana-tower]' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from list" -l url -d 'The tower\'s URL' -r
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from list" -l token-file -d 'File holding the viewer token (needed when the tower is exposed)' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from list" -l json -d 'One JSON object per node instead of a table'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "add" -d 'Issue single-use enrolment codes for nodes (only their hashes are kept), asked of the collector serving the data directory: refused when none runs there, and for a node already enrolled unless `--replace`'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Forget decommissioned nodes: key, jobs, history and alerts'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "list" -d 'List enrolled nodes with their state (from the running tower\'s API)'
complete -c bananaui -n "__fish_bananaui_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and not __fish_seen_subcommand_from ack help" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and not __fish_seen_subcommand_from ack help" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and not __fish_seen_subcommand_from ack help" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and not __fish_seen_subcommand_from ack help" -f -a "ack" -d 'Acknowledge the evidence behind `rollback`, `repository-changed`, `witness-lost` or `source-lost` alerts once investigated: every piece of that rule\'s evidence about the node that reached the tower before now is dropped and its alert resolves at the collector\'s next tick; evidence arriving later stays. The chain goes on from the node\'s latest report. Asked of the collector serving the data directory; exits 2 when the node has no such evidence'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and not __fish_seen_subcommand_from ack help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and __fish_seen_subcommand_from ack" -l config -d 'Collector config file (TOML; see docs/examples/bananaui.toml)' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and __fish_seen_subcommand_from ack" -l data -d 'Data directory (the database, pending requests, the admin socket) [default: `data` in the config, else /var/lib/banana-tower]' -r -F
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and __fish_seen_subcommand_from ack" -s v -l verbose -d 'More log output (-v, -vv)'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and __fish_seen_subcommand_from ack" -s h -l help -d 'Print help'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and __fish_seen_subcommand_from ack" -s V -l version -d 'Print version'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "ack" -d 'Acknowledge the evidence behind `rollback`, `repository-changed`, `witness-lost` or `source-lost` alerts once investigated: every piece of that rule\'s evidence about the node that reached the tower before now is dropped and its alert resolves at the collector\'s next tick; evidence arriving later stays. The chain goes on from the node\'s latest report. Asked of the collector serving the data directory; exits 2 when the node has no such evidence'
complete -c bananaui -n "__fish_bananaui_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and not __fish_seen_subcommand_from serve tui node alert help" -f -a "serve" -d 'Run the collector: ingest, store, alerts, JSON API, metrics and page'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and not __fish_seen_subcommand_from serve tui node alert help" -f -a "tui" -d 'The fleet in a terminal: worst first, node detail, alerts (over the JSON API)'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and not __fish_seen_subcommand_from serve tui node alert help" -f -a "node" -d 'Manage the nodes known to this tower'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and not __fish_seen_subcommand_from serve tui node alert help" -f -a "alert" -d 'Alerts that stay until an operator acknowledges them'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and not __fish_seen_subcommand_from serve tui node alert help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "add" -d 'Issue single-use enrolment codes for nodes (only their hashes are kept), asked of the collector serving the data directory: refused when none runs there, and for a node already enrolled unless `--replace`'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "remove" -d 'Forget decommissioned nodes: key, jobs, history and alerts'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "list" -d 'List enrolled nodes with their state (from the running tower\'s API)'
complete -c bananaui -n "__fish_bananaui_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "ack" -d 'Acknowledge the evidence behind `rollback`, `repository-changed`, `witness-lost` or `source-lost` alerts once investigated: every piece of that rule\'s evidence about the node that reached the tower before now is dropped and its alert resolves at the collector\'s next tick; evidence arriving later stays. The chain goes on from the node\'s latest report. Asked of the collector serving the data directory; exits 2 when the node has no such evidence'
