//! The examples at the end of each command's `--help`, which `cargo xtask
//! gen` also renders as the EXAMPLES section of its man page. The format is
//! parsed: an `Examples:` line, then for each example a description indented
//! by two spaces and one or more command lines indented by four (a line
//! ending in ` \` goes on, indented by six). An xtask test parses every
//! command line with the CLI, so a flag that does not exist fails it.

/// `bananaui`.
pub const TOP: &str = "\
Examples:
  Run the tower (banana-tower.service does, as the user banana-tower):
    bananaui serve --config /etc/banana/bananaui.toml
  A single-use enrolment code for web-01, from the running tower:
    sudo -u banana-tower bananaui node add web-01 \\
      --url https://tower.example.net:8443
  The fleet in a terminal, worst first:
    bananaui tui";

/// `bananaui serve`.
pub const SERVE: &str = "\
Examples:
  Serve on 127.0.0.1:7460 (TLS from a reverse proxy in front):
    bananaui serve --config /etc/banana/bananaui.toml
  Another address and data directory, with more log output:
    bananaui -v serve --listen 127.0.0.1:7461 --data /srv/tower
  The config file named by the environment, as banana-tower.service runs it:
    BANANAUI_CONFIG=/etc/banana/bananaui.toml bananaui serve";

/// `bananaui tui`.
pub const TUI: &str = "\
Examples:
  The local tower, refreshed every 5 seconds:
    bananaui tui
  A tower behind TLS that needs a viewer token:
    bananaui tui --url https://tower.example.net:8443 \\
      --token-file ~/.banana-viewer --refresh 10
  On the tower, over SSH:
    ssh -t tower.example.net bananaui tui";

/// `bananaui node`.
pub const NODE: &str = "\
Examples:
  Enrolment codes for two nodes:
    sudo -u banana-tower bananaui node add web-01 web-02 \\
      --url https://tower.example.net:8443
  The nodes and their state:
    bananaui node list
  Forget a decommissioned node:
    sudo -u banana-tower bananaui node remove web-02";

/// `bananaui node add`.
pub const NODE_ADD: &str = "\
Examples:
  A code for web-01 (it prints the command to run on the node):
    sudo -u banana-tower bananaui node add web-01 \\
      --url https://tower.example.net:8443
  A new code for a node that lost its key, valid a day:
    sudo -u banana-tower bananaui node add web-01 --replace --ttl 1d
  Codes for the reaper, the drill host and the copier:
    sudo -u banana-tower bananaui node add reaper-1 --reaper
    sudo -u banana-tower bananaui node add drill-1 --drill
    sudo -u banana-tower bananaui node add copier-1 --copier";

/// `bananaui node remove`.
pub const NODE_REMOVE: &str = "\
Examples:
  Forget two decommissioned nodes:
    sudo -u banana-tower bananaui node remove web-01 web-02
  With the config the tower runs with:
    sudo -u banana-tower bananaui node remove web-01 \\
      --config /etc/banana/bananaui.toml";

/// `bananaui node list`.
pub const NODE_LIST: &str = "\
Examples:
  The nodes and their state:
    bananaui node list
  As JSON, from a tower that needs a viewer token:
    bananaui node list --json --url https://tower.example.net:8443 \\
      --token-file ~/.banana-viewer";

/// `bananaui alert`.
pub const ALERT: &str = "\
Examples:
  After finding out why web-01's storage went back:
    sudo -u banana-tower bananaui alert ack web-01 rollback
  After web-01 was given a new repository on purpose:
    sudo -u banana-tower bananaui alert ack web-01 repository-changed
  After restoring what the source lost from the second copy:
    sudo -u banana-tower bananaui alert ack web-01 source-lost";

/// `bananaui alert ack`.
pub const ALERT_ACK: &str = "\
Examples:
  After finding out why web-01's storage went back:
    sudo -u banana-tower bananaui alert ack web-01 rollback
  With another data directory:
    bananaui alert ack web-01 witness-lost --data /srv/tower";
