//! The registry's contract, and what adding a plugin takes: the `toy`
//! module below is a whole plugin (table, check, source), and registering it
//! is one line (`Registry::built_in().with(toy::ENTRY)`); nothing else in the
//! crate knows about it.

use super::*;

/// A toy plugin: one stream holding its `text`, repeated `times`.
mod toy {
    use crate::ops::backup::{Source, StreamSource};
    use crate::plugins::{Entry, JobKeys, JobPlugin, RunEnv};
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ToyTable {
        pub text: Option<String>,
        pub times: Option<u32>,
    }

    #[derive(Debug, Clone)]
    pub(super) struct Toy {
        pub body: String,
    }

    pub(super) const ENTRY: Entry = Entry {
        name: "toy",
        keys: crate::plugins::fields::<ToyTable>,
        credentials: false,
        check,
    };

    fn check(
        job: &JobKeys<'_>,
        rest: toml::Table,
    ) -> Result<Box<dyn JobPlugin>, crate::plugins::KeyError> {
        let t: ToyTable = crate::plugins::table(job, rest)?;
        let text = t.text.ok_or_else(|| job.error("plugin 'toy' needs text"))?;
        Ok(Box::new(Toy {
            body: text.repeat(t.times.unwrap_or(1) as usize),
        }))
    }

    impl JobPlugin for Toy {
        fn name(&self) -> &str {
            "toy"
        }

        fn for_run(&self, _: &RunEnv) -> Box<dyn JobPlugin> {
            Box::new(self.clone())
        }

        fn source(&self) -> crate::Result<Box<dyn Source>> {
            let bytes = self.body.clone().into_bytes();
            Ok(Box::new(StreamSource::new(
                Box::new(std::io::Cursor::new(bytes)),
                "toy.txt",
            )?))
        }

        crate::plugin_plumbing!();
    }
}

fn keys<'a>(name: &'a str, plugin: &'a str) -> JobKeys<'a> {
    JobKeys {
        name,
        plugin,
        timeout: None,
        vault_credentials: false,
    }
}

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

#[test]
fn a_registered_plugin_is_checked_and_backs_up_through_the_engine() {
    use crate::crypto::keyfile::KeyFile;
    use crate::repo::{BlobReader, RepoOptions, Repository};
    let registry = Registry::built_in().with(toy::ENTRY);
    let job = keys("greeting", "toy");
    let plugin = registry
        .check(&job, None, table("text = \"hello \"\ntimes = 3"))
        .unwrap();
    assert_eq!(plugin.name(), "toy");
    // Without the registry line, the name is an external plugin's.
    let external = Registry::built_in()
        .check(&job, None, table("text = \"x\""))
        .unwrap_err();
    assert!(
        external.message.contains("'text' does not apply")
            || external.message.contains("unknown key 'text'"),
        "{external:?}"
    );
    let storage = crate::testing::MemoryBackend::default();
    let key = KeyFile::generate(&[]).unwrap();
    let repo = Repository::init(
        Box::new(storage),
        &key.backup_key(),
        &RepoOptions::default(),
    )
    .unwrap();
    let source = plugin.for_run(&RunEnv::default()).source().unwrap();
    let done = crate::ops::backup::backup(
        &repo,
        crate::ops::backup::BackupOptions::new(source),
        &crate::progress::Silent,
        &crate::progress::Progress::default(),
        &mut |_| {},
    )
    .unwrap();
    let loaded = repo.load_index().unwrap();
    let restore = key.restore_key().unwrap();
    let mut reader = BlobReader::new(&repo, &loaded.index, &restore).unwrap();
    let nodes = reader.tree(&done.snapshot.tree).unwrap().nodes;
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].name, b"toy.txt");
    let mut body = Vec::new();
    for c in &nodes[0].content {
        body.extend(reader.read(c).unwrap());
    }
    assert_eq!(body, b"hello hello hello ");
}

#[test]
fn keys_are_the_table_types_fields() {
    assert_eq!(
        fields::<fs::FsTable>(),
        ["paths", "exclude", "exclude_file", "one_file_system"]
    );
    assert_eq!(
        fields::<command::CommandTable>(),
        ["command", "stream", "env"]
    );
    assert!(fields::<postgres::PostgresTable>().contains(&"password_file"));
}

#[test]
fn another_plugins_key_an_unknown_key_and_a_bad_value_are_named() {
    let r = Registry::built_in();
    let e = r
        .check(
            &keys("a", "fs"),
            None,
            table("paths = [\"/\"]\ncommand = [\"x\"]"),
        )
        .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("command"));
    assert!(
        e.message
            .contains("'command' does not apply to plugin 'fs'"),
        "{e:?}"
    );
    let e = r
        .check(
            &keys("a", "fs"),
            None,
            table("paths = [\"/\"]\nevry = \"1d\""),
        )
        .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("evry"));
    assert!(e.message.contains("unknown key 'evry'"), "{e:?}");
    let e = r
        .check(&keys("a", "fs"), None, table("paths = \"/etc\""))
        .unwrap_err();
    assert!(e.message.starts_with("job 'a': paths: "), "{e:?}");
    let e = r
        .check(&keys("a", "etcd"), Some("vault"), table(""))
        .unwrap_err();
    assert!(
        e.message
            .contains("'credentials' does not apply to plugin 'etcd'"),
        "{e:?}"
    );
    let e = r
        .check(&keys("a", "Mongo DB"), None, table(""))
        .unwrap_err();
    assert!(e.message.contains("unknown plugin 'Mongo DB'"), "{e:?}");
    assert!(e.message.contains(&r.names()), "{e:?}");
}
