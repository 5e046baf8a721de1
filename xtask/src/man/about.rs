//! What the pages of each binary say beyond its clap definition: the
//! environment it reads besides its options' variables, and its files
//! (`docs/configuration.md`, the units under `*/systemd/`, the packages'
//! paths).

use clap::CommandFactory;
use common::exit::Row;

/// One of the three binaries.
pub struct Binary {
    /// Its name.
    pub name: &'static str,
    /// Its clap definition.
    pub command: fn() -> clap::Command,
    /// Parses a command line as `main` does (only whether it parses).
    #[cfg_attr(not(test), allow(dead_code))]
    pub parse: fn(&[String]) -> Result<(), clap::Error>,
    /// Its exit-code table.
    pub table: &'static [Row],
    /// Variables it reads that no option names: (names, meaning).
    pub env: &'static [(&'static str, &'static str)],
    /// Its files: (path, what it is).
    pub files: &'static [(&'static str, &'static str)],
}

/// The three binaries, in the order of their pages.
pub fn binaries() -> [Binary; 3] {
    [
        Binary {
            name: "bananactl",
            command: bananactl::Cli::command,
            parse: |a| <bananactl::Cli as clap::Parser>::try_parse_from(a).map(drop),
            table: bananactl::exit::TABLE,
            env: CTL_ENV,
            files: CTL_FILES,
        },
        Binary {
            name: "bananadm",
            command: bananadm::Cli::command,
            parse: |a| <bananadm::Cli as clap::Parser>::try_parse_from(a).map(drop),
            table: bananadm::exit::TABLE,
            env: ADM_ENV,
            files: ADM_FILES,
        },
        Binary {
            name: "bananaui",
            command: bananaui::Cli::command,
            parse: |a| <bananaui::Cli as clap::Parser>::try_parse_from(a).map(drop),
            table: bananaui::exit::TABLE,
            env: UI_ENV,
            files: UI_FILES,
        },
    ]
}

/// The storage credentials from the environment (both agent and admin
/// side read them only when nothing else gives one).
const STORAGE_ENV: [(&str, &str); 3] = [
    (
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
        "The S3 credential when neither Vault nor a storage_credentials file gives one.",
    ),
    (
        "ST_USER, ST_KEY",
        "The Swift credential (auth=v1, python-swiftclient's names), likewise.",
    ),
    (
        "OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME",
        "The Keystone credential (auth=v3), likewise.",
    ),
];

const CTL_ENV: &[(&str, &str)] = &[
    (
        "BANANA_COMPLETE",
        "Set by the shell completion scripts to a shell's name (bash, zsh, fish): \
         the run prints completions for the words after -- and does nothing else. \
         Never set it yourself.",
    ),
    (
        "BANANA_COLLECTOR",
        "The watch tower's URL, where runs send signed status (the config file's collector).",
    ),
    (
        "BANANA_LOG",
        "A tracing filter that replaces the log level of -v and -q (e.g. debug); \
         the Vault and HTTP clients stay silent at every level.",
    ),
    (
        "XDG_CONFIG_HOME",
        "Where a user other than root keeps the config file: \
         $XDG_CONFIG_HOME/banana/bananactl.toml (default ~/.config).",
    ),
    (
        "XDG_DATA_HOME",
        "Where a user other than root keeps the embedded default: \
         $XDG_DATA_HOME/banana (default ~/.local/share).",
    ),
    STORAGE_ENV[0],
    STORAGE_ENV[1],
    STORAGE_ENV[2],
    (
        "BANANA_JOB, BANANA_OPTIONS, BANANA_RUN_DIR, BANANA_SECRET_FILE, BANANA_RESTORE_AS",
        "Not read: set for an external plugin (banana-plugin-NAME), with \
         BANANA_PLUGIN_PROTOCOL; see plugins.md.",
    ),
];

const ADM_ENV: &[(&str, &str)] = &[
    (
        "BANANA_COMPLETE",
        "Set by the shell completion scripts to a shell's name (bash, zsh, fish): \
         the run prints completions for the words after -- and does nothing else. \
         Never set it yourself.",
    ),
    (
        "VAULT_TOKEN",
        "The token bananadm uses when no --token-file is given: the admin's, \
         or the reaper's, drill host's or copier's on those hosts.",
    ),
    (
        "XDG_DATA_HOME",
        "Where a user other than root keeps the reaper's, drill host's and copier's \
         state: $XDG_DATA_HOME/banana (default ~/.local/share).",
    ),
];

const UI_ENV: &[(&str, &str)] = &[
    (
        "BANANA_COMPLETE",
        "Set by the shell completion scripts to a shell's name (bash, zsh, fish): \
         the run prints completions for the words after -- and does nothing else. \
         Never set it yourself.",
    ),
    (
        "RUST_LOG",
        "A tracing filter that replaces the log level of -v.",
    ),
    (
        "NO_COLOR",
        "Any non-empty value turns the terminal UI's colours off.",
    ),
];

const CTL_FILES: &[(&str, &str)] = &[
    (
        "/etc/banana/bananactl.toml",
        "The agent's config file for root: repository, jobs, tower (else \
         $XDG_CONFIG_HOME/banana/bananactl.toml); an example is \
         /usr/share/doc/bananactl/examples/bananactl.toml.",
    ),
    (
        "/var/lib/banana/",
        "The embedded default for root: repo/, key.json (mode 0600) and state/ \
         (else $XDG_DATA_HOME/banana/).",
    ),
    (
        "/etc/banana/vault.json",
        "An enrolled node's Vault credentials, mode 0600, written by enroll \
         (else STATE_DIR/vault.json).",
    ),
    (
        "STATE_DIR/",
        "Node-local state: the incremental catalogues, jobs/ (each job's state and lock), \
         locations/, cache/, spool/, node.key (the status signing key) and collector.json.",
    ),
    (
        "/usr/lib/banana/plugins/",
        "External plugins, banana-plugin-NAME (also /usr/local/lib/banana/plugins/; \
         the config's plugin_path).",
    ),
    (
        "/lib/systemd/system/banana-agent.service",
        "Runs bananactl --quiet run; banana-agent.timer starts it every 5 minutes.",
    ),
    (
        "/usr/share/doc/bananactl/examples/cron.d-banana",
        "The same from cron, on a node without systemd (never both): copy it to \
         /etc/cron.d/banana.",
    ),
    (
        "/usr/share/doc/bananactl/",
        "The documentation: configuration.md, jobs.md, storage.md, vault.md, \
         retention.md, drills.md, copy.md, plugins.md, exit-codes.md, security.md.",
    ),
];

const ADM_FILES: &[(&str, &str)] = &[
    (
        "/etc/banana/reaper.token, /etc/banana/drill.token, /etc/banana/copier.token",
        "The Vault tokens of the reaper, drill host and copier (mode 0600), \
         handed to their units as credentials.",
    ),
    (
        "/etc/banana/reaper.env, /etc/banana/drill.env, /etc/banana/copier.env",
        "Their units' environment: VAULT_ADDR, VAULT_CACERT.",
    ),
    (
        "/var/lib/banana/reaper/, /var/lib/banana/drill/, /var/lib/banana/copier/",
        "Their state when run by root by hand (else under $XDG_DATA_HOME/banana/); \
         the units use /var/lib/banana-reaper/, /var/lib/banana-drill/ and \
         /var/lib/banana-copier/.",
    ),
    (
        "/lib/systemd/system/banana-reaper.service",
        "Runs bananadm prune --all daily (banana-reaper.timer); likewise \
         banana-drill.service and .timer (drill --all, weekly) and \
         banana-copy.service and .timer (copy --all, daily).",
    ),
    (
        "/usr/share/doc/bananadm/",
        "The documentation: vault.md, retention.md, drills.md, copy.md, storage.md, \
         exit-codes.md, security.md.",
    ),
];

const UI_FILES: &[(&str, &str)] = &[
    (
        "/etc/banana/bananaui.toml",
        "The collector's config file (listen address, alerts, notifiers, viewer token); \
         an example is /usr/share/doc/bananaui/examples/bananaui.toml.",
    ),
    (
        "/var/lib/banana-tower/",
        "The data directory: the database, pending requests, and admin.sock (0600), \
         over which node add and alert ack ask the running collector.",
    ),
    (
        "/lib/systemd/system/banana-tower.service",
        "Runs bananaui serve as the user banana-tower.",
    ),
    (
        "/usr/share/doc/bananaui/",
        "The documentation: collector.md, api.md, tui.md, exit-codes.md.",
    ),
];
