# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_bananactl_global_optspecs
    string join \n repo= key-file= state-dir= config= vault-credentials= insecure-storage json q/quiet v/verbose h/help V/version
end

function __fish_bananactl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_bananactl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_bananactl_using_subcommand
    set -l cmd (__fish_bananactl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c bananactl -n "__fish_bananactl_needs_command" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_needs_command" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_needs_command" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_needs_command" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_needs_command" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_needs_command" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_needs_command" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_needs_command" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_needs_command" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bananactl -n "__fish_bananactl_needs_command" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "init" -d 'Create a repository (and, on the embedded default, a key file)'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "backup" -d 'Back up files and directories, a stream from stdin, or a configured job'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "run" -d 'Run the configured jobs that are due (what cron or the systemd timer calls)'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "jobs" -d 'List the configured jobs: schedule, last result, next due time'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "snapshots" -d 'List snapshots, oldest first'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "ls" -d 'List the entries of a snapshot'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "dump" -d 'Write one file (or a stream job\'s stream) of a snapshot to stdout'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "find" -d 'Find which snapshots hold paths matching a pattern'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "diff" -d 'Show what changed between two snapshots'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "restore" -d 'Restore a snapshot into a directory'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "check" -d 'Verify the repository\'s structure, and with --read-data every byte'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "stats" -d 'Show what the repository holds and what it costs (sizes, ratios)'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "drill" -d 'Prove backups restore: restore a sample of each job\'s latest snapshot into a scratch directory and verify it'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "copy" -d 'Copy the repository to a second location (objects as stored, each checked against its name; nothing there overwritten or deleted)'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "forget" -d 'Forget snapshots by a retention policy (key-file mode; an enrolled node\'s retention is the reaper\'s, \'bananadm prune\')'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "prune" -d 'Delete the packs no snapshot needs, without decrypting (key-file mode)'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "key" -d 'Manage key files'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "enroll" -d 'Enrol this node with Vault (run the command \'bananadm node add\' printed)'
complete -c bananactl -n "__fish_bananactl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l add-recipient -d 'Also encrypt every pack to this age recipient (a break-glass key kept offline); repeatable. Only when a new key file is created' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l compression -d 'The repository\'s codec for new chunks: zstd[:1-19], xz[:0-9] (smaller, several times slower) or none; a bare 0-9 is an xz preset [default: zstd:3, or the config file\'s]' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l pack-size -d 'Target pack size in MiB' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l force-new -d 'Start a new repository in an empty location where this node wrote before (its repository went missing: exit 16). Deletes nothing; on append-only storage, start over under a new prefix instead. Also for nodes that take their keys from Vault'
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand init" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l exclude -d 'Skip matching entries: a glob with \'/\' matches the absolute path, one without matches the name (e.g. \'*.tmp\', \'/var/cache/**\'); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l exclude-file -d 'Read exclude globs from a file, one per line (\'#\' comments); repeatable' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l tag -d 'Tag the snapshot; repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l stdin-name -d 'File name for --stdin in the snapshot' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l stdin-required-bytes -d 'With --stdin: fewer bytes than this make the run partial (exit 3, snapshot kept): an empty dump from a broken pipe is not a backup; 0 accepts an empty stream (with a warning)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l host -d 'Host name to record [default: the system\'s]' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l job -d 'A configured job to run (alone), or the job name of an ad-hoc run of PATHs or --stdin [default: the config\'s \'job\', or \'backup\']' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l every -d 'Expected interval between runs of this job (e.g. 1d), so the tower can tell when it is overdue' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l limit-upload -d 'Upload at most this many KiB per second (averaged over packs); also `limit_upload` in the config file' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l compression -d 'The codec for this run\'s new chunks: zstd[:1-19], xz[:0-9] or none [default: the repository\'s]. zstd in a format-1 repository warns: older bananactl cannot read those chunks' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -s x -l one-file-system -d 'Do not cross filesystem boundaries below each path'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l stdin -d 'Back up standard input as one file (see --stdin-name)'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand backup" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l now -d 'Run now, due or not and whatever the backoff after failures: the JOBs named, or every configured job (after fixing a repository, say)'
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand run" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand jobs" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l job -d 'Only snapshots of this job' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l host -d 'Only snapshots of this host' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l tag -d 'Only snapshots carrying this tag; repeat to require several' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l path -d 'Only snapshots that backed up this path (exactly as recorded, e.g. /etc, or stdin:NAME and command:NAME for streams); repeat to require several' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l latest -d 'Only the newest N snapshots of each host and job that did not fail' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand snapshots" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l job -d 'Only snapshots of this job' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l host -d 'Only snapshots of this host' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l tag -d 'Only snapshots carrying this tag; repeat to require several' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l path -d 'Only snapshots that backed up this path (exactly as recorded, e.g. /etc, or stdin:NAME and command:NAME for streams); repeat to require several' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l identity-file -d 'Read identities from this age identity file (e.g. the offline break-glass identity) instead of the key file' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l grant -d 'A restore grant printed by \'bananadm restore grant\' (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l vault-addr -d 'Vault address for --grant on a machine that is not enrolled' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l verify-key -d 'Ed25519 key that signed the break-glass key envelopes (also read from \'# banana-verify-key:\' lines of the identity file); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l node -d 'The node whose backups these are: a break-glass restore only trusts that node\'s key envelope (storage could present another node\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the grant and the identities would cross the network in clear)'
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand ls" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l job -d 'Only snapshots of this job' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l host -d 'Only snapshots of this host' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l tag -d 'Only snapshots carrying this tag; repeat to require several' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l path -d 'Only snapshots that backed up this path (exactly as recorded, e.g. /etc, or stdin:NAME and command:NAME for streams); repeat to require several' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l identity-file -d 'Read identities from this age identity file (e.g. the offline break-glass identity) instead of the key file' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l grant -d 'A restore grant printed by \'bananadm restore grant\' (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l vault-addr -d 'Vault address for --grant on a machine that is not enrolled' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l verify-key -d 'Ed25519 key that signed the break-glass key envelopes (also read from \'# banana-verify-key:\' lines of the identity file); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l node -d 'The node whose backups these are: a break-glass restore only trusts that node\'s key envelope (storage could present another node\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the grant and the identities would cross the network in clear)'
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand dump" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l job -d 'Only snapshots of this job' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l host -d 'Only snapshots of this host' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l tag -d 'Only snapshots carrying this tag; repeat to require several' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l path -d 'Only snapshots that backed up this path (exactly as recorded, e.g. /etc, or stdin:NAME and command:NAME for streams); repeat to require several' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l identity-file -d 'Read identities from this age identity file (e.g. the offline break-glass identity) instead of the key file' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l grant -d 'A restore grant printed by \'bananadm restore grant\' (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l vault-addr -d 'Vault address for --grant on a machine that is not enrolled' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l verify-key -d 'Ed25519 key that signed the break-glass key envelopes (also read from \'# banana-verify-key:\' lines of the identity file); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l node -d 'The node whose backups these are: a break-glass restore only trusts that node\'s key envelope (storage could present another node\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the grant and the identities would cross the network in clear)'
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand find" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l job -d 'Only snapshots of this job' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l host -d 'Only snapshots of this host' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l tag -d 'Only snapshots carrying this tag; repeat to require several' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l path -d 'Only snapshots that backed up this path (exactly as recorded, e.g. /etc, or stdin:NAME and command:NAME for streams); repeat to require several' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l identity-file -d 'Read identities from this age identity file (e.g. the offline break-glass identity) instead of the key file' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l grant -d 'A restore grant printed by \'bananadm restore grant\' (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l vault-addr -d 'Vault address for --grant on a machine that is not enrolled' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l verify-key -d 'Ed25519 key that signed the break-glass key envelopes (also read from \'# banana-verify-key:\' lines of the identity file); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l node -d 'The node whose backups these are: a break-glass restore only trusts that node\'s key envelope (storage could present another node\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the grant and the identities would cross the network in clear)'
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand diff" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l target -d 'Directory to restore into (created if missing); nothing is written outside it' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l database -d 'With --to-server: restore under this database name (a snapshot of one database)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l defaults-file -d 'With --to-server: the client defaults file to restore with (one whose user may create and write) [default: the job\'s]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l etcd-name -d 'An etcd job\'s snapshot: the member name the new data directory (--target) is made for' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l etcd-peer-url -d 'An etcd job\'s snapshot: that member\'s peer URL' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l include -d 'Restore only this snapshot path and what is below it; repeatable' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l overwrite -d 'What to do with an entry that already exists in the target [default: if-changed]' -r -f -a "always\t'Replace it'
if-changed\t'Keep it when its size, mtime and content already match the snapshot (symlinks: target; so an interrupted restore resumes), else replace it'
if-newer\t'Replace it only when the snapshot\'s mtime is newer than its own'
never\t'Leave it as it is'"
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l job -d 'Only snapshots of this job' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l host -d 'Only snapshots of this host' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l tag -d 'Only snapshots carrying this tag; repeat to require several' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l path -d 'Only snapshots that backed up this path (exactly as recorded, e.g. /etc, or stdin:NAME and command:NAME for streams); repeat to require several' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l identity-file -d 'Read identities from this age identity file (e.g. the offline break-glass identity) instead of the key file' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l grant -d 'A restore grant printed by \'bananadm restore grant\' (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l vault-addr -d 'Vault address for --grant on a machine that is not enrolled' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l verify-key -d 'Ed25519 key that signed the break-glass key envelopes (also read from \'# banana-verify-key:\' lines of the identity file); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l node -d 'The node whose backups these are: a break-glass restore only trusts that node\'s key envelope (storage could present another node\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l to-server -d 'Restore a database job\'s snapshot into the job\'s configured server, or through an external plugin\'s \'restore\' (needs --job NAME), instead of a directory'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l accounts -d 'With --to-server: also restore the account streams (the \'mysql\' database: users and grants; PostgreSQL\'s globals.sql: roles), which are skipped otherwise: a forged snapshot would bring back accounts'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l untrusted -d 'Contents and names only, for a snapshot that may come from a compromised node (forensics): everything owned by you, no setuid/setgid/sticky bits, no security.*/trusted.* extended attributes, no device nodes or FIFOs, the target made 0700'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l delete -d 'Remove from the target what the snapshot does not have, in the directories restored below the snapshot\'s paths (and --include) only; a symlink is removed, never followed, and another filesystem mounted there is left alone'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the grant and the identities would cross the network in clear)'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bananactl -n "__fish_bananactl_using_subcommand restore" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l read-data-subset -d 'Read and verify only some packs: K/M (the K-th of M groups by name: M runs cover every pack once), N% or a size (e.g. 500M), at random' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l identity-file -d 'Read identities from this age identity file (e.g. the offline break-glass identity) instead of the key file' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l grant -d 'A restore grant printed by \'bananadm restore grant\' (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l vault-addr -d 'Vault address for --grant on a machine that is not enrolled' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l verify-key -d 'Ed25519 key that signed the break-glass key envelopes (also read from \'# banana-verify-key:\' lines of the identity file); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l node -d 'The node whose backups these are: a break-glass restore only trusts that node\'s key envelope (storage could present another node\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l read-data -d 'Also download, decrypt and verify every pack and chunk (needs the identity)'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the grant and the identities would cross the network in clear)'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand check" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l job -d 'Count only this job\'s snapshots (the repository\'s sizes stay whole)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand stats" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l job -d 'Drill only this job' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l sample -d 'How much of a snapshot of files: N% of its files, N files, or a size (e.g. 500M), picked at random; database streams are always whole' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l identity-file -d 'Read identities from this age identity file (e.g. the offline break-glass identity) instead of the key file' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l grant -d 'A restore grant printed by \'bananadm restore grant\' (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l vault-addr -d 'Vault address for --grant on a machine that is not enrolled' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l verify-key -d 'Ed25519 key that signed the break-glass key envelopes (also read from \'# banana-verify-key:\' lines of the identity file); repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l node -d 'The node whose backups these are: a break-glass restore only trusts that node\'s key envelope (storage could present another node\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l deep -d 'Also restore database streams into throwaway servers (PostgreSQL, MariaDB, etcd) started in the scratch directory, and query them'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l insecure-http -d 'Allow --vault-addr to be plain http:// on a non-loopback address (the grant and the identities would cross the network in clear)'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand drill" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l to -d 'The destination: a directory, s3://… or swift://… (a new or empty location, or an earlier copy of this repository)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l to-credentials -d 'The destination\'s storage credential (TOML, mode 0600, as for \'bananadm node add\'); else the environment\'s. Not needed for a directory' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l job -d 'Copy only this job\'s snapshots (packs and index files are shared between jobs and copied whole)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l connections -d 'Objects copied at the same time (default: the config\'s upload_connections, else 4)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l limit-upload -d 'Limit writes to the destination to this many KiB/s (default: the config\'s limit_upload)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l dry-run -d 'List both ends and say what would be copied; write nothing'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l accept-lost -d 'Stop reporting the snapshots the source has lost (after you have looked at them): they are recorded as accepted'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand copy" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-last -d 'Keep the newest N snapshots that did not fail' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-hourly -d 'Keep one snapshot for each of the last N hours that have one (UTC)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-daily -d 'Keep one snapshot for each of the last N days that have one (UTC)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-weekly -d 'Keep one snapshot for each of the last N ISO weeks that have one' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-monthly -d 'Keep one snapshot for each of the last N months that have one' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-yearly -d 'Keep one snapshot for each of the last N years that have one' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-within -d 'Keep every snapshot within DURATION (e.g. 30d, 1y) of the newest' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l keep-tag -d 'Keep every snapshot carrying TAG; repeatable' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l job -d 'Only this job\'s snapshots (the default: every job\'s)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l grace -d 'Wait this long between condemning a pack and deleting it, for a repository other writers share (at least 1h; default: none, as no backup of this node runs meanwhile)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l max-forget -d 'Most of a job\'s snapshots one run may forget, in percent [default: 20]; the rest is held (exit 3) until the next run or --force' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l max-skew -d 'A snapshot whose storage date is further than this from the time it claims is held and fills no bucket [default: 1h]' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l prune -d 'Also delete the packs no remaining snapshot needs'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l dry-run -d 'Print what would be forgotten; change nothing'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l force -d 'Forget more than a fifth of a job\'s snapshots in one run'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand forget" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l grace -d 'As for forget: for a repository other writers share (at least 1h)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l dry-run -d 'Print what would be deleted; change nothing'
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand prune" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -f -a "export" -d 'Write a copy of the key file'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and not __fish_seen_subcommand_from export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l out -d 'Where to write it (must not exist)' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l backup-only -d 'Keep only the backup half (recipients and chunk key, no identity): what a node that may write but must not read its backups gets'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write a copy of the key file'
complete -c bananactl -n "__fish_bananactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l vault-addr -d 'Vault\'s address' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l vault-ca -d 'PEM file of the CA that signed Vault\'s certificate (pinned)' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l node -d 'This node\'s name' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l role-id -d 'The AppRole role id' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l wrapped-secret-id -d 'The response-wrapped, single-use secret id (\'-\' reads it from stdin)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l collector -d 'The watch tower\'s URL: enrol this node\'s status key there' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l collector-code -d 'The single-use code from \'bananaui node add\' on the tower' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l mount -d 'KV v2 mount' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l approle-mount -d 'AppRole auth mount' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l repo -d 'Repository location: a directory (local disk, NFS or Samba mount), s3://HOST[:PORT]/BUCKET/PREFIX or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX (see docs/storage.md)' -r
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l key-file -d 'Key file (JSON, mode 0600) holding the chunk key, recipients and, unless backup-only, the identities' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l state-dir -d 'Node-local state: incremental catalogue, locks' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l config -d 'Agent config file (TOML) [default: /etc/banana/bananactl.toml for root, else $XDG_CONFIG_HOME/banana/bananactl.toml, when present]' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l vault-credentials -d 'Vault credentials stored by \'enroll\' [default: /etc/banana/vault.json for root, else STATE_DIR/vault.json]; used when no key file is named' -r -F
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l insecure-http -d 'Allow plain http:// to Vault or the tower on a non-loopback address (secrets and codes would cross the network in clear); remembered for later runs'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l force -d 'Replace existing credentials (after \'bananadm node add --replace\')'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l insecure-storage -d 'Allow a storage location with tls=false to a host other than loopback: the storage credential and every object would cross the network in clear (also the config\'s insecure_storage = true)'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -l json -d 'Machine output: one JSON object per line (progress, warnings, summary)'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -s q -l quiet -d 'Print nothing on success (errors and warnings still go to stderr)'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -s v -l verbose -d 'More detail on stderr; repeat for debug logs'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -s h -l help -d 'Print help'
complete -c bananactl -n "__fish_bananactl_using_subcommand enroll" -s V -l version -d 'Print version'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "init" -d 'Create a repository (and, on the embedded default, a key file)'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "backup" -d 'Back up files and directories, a stream from stdin, or a configured job'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "run" -d 'Run the configured jobs that are due (what cron or the systemd timer calls)'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "jobs" -d 'List the configured jobs: schedule, last result, next due time'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "snapshots" -d 'List snapshots, oldest first'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "ls" -d 'List the entries of a snapshot'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "dump" -d 'Write one file (or a stream job\'s stream) of a snapshot to stdout'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "find" -d 'Find which snapshots hold paths matching a pattern'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "diff" -d 'Show what changed between two snapshots'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "restore" -d 'Restore a snapshot into a directory'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "check" -d 'Verify the repository\'s structure, and with --read-data every byte'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "stats" -d 'Show what the repository holds and what it costs (sizes, ratios)'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "drill" -d 'Prove backups restore: restore a sample of each job\'s latest snapshot into a scratch directory and verify it'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "copy" -d 'Copy the repository to a second location (objects as stored, each checked against its name; nothing there overwritten or deleted)'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "forget" -d 'Forget snapshots by a retention policy (key-file mode; an enrolled node\'s retention is the reaper\'s, \'bananadm prune\')'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "prune" -d 'Delete the packs no snapshot needs, without decrypting (key-file mode)'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "key" -d 'Manage key files'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "enroll" -d 'Enrol this node with Vault (run the command \'bananadm node add\' printed)'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and not __fish_seen_subcommand_from init backup run jobs snapshots ls dump find diff restore check stats drill copy forget prune key enroll help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bananactl -n "__fish_bananactl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "export" -d 'Write a copy of the key file'
