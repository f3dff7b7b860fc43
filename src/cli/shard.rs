//! `--shard K/N`: a stable 1/N of the projects, so a CI matrix of N jobs splits
//! a monorepo. A project belongs to shard `fnv1a(path) % N + 1`, its path as
//! cfgen shows it (relative to the working folder, `/`-separated, no leading
//! `./`): the same project lands in the same shard on every machine and run,
//! and the N shards together hold every project exactly once.

use std::path::{Component, Path};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, `1..=count`.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

/// Parses `K/N` with `1 <= K <= N` (clap's value parser: the message is the usage error).
pub fn parse(s: &str) -> Result<Shard, String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not of the form K/N, e.g. `1/4`"))?;
    let number = |part: &str, what: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|_| format!("{what} `{part}` in `{s}` is not a whole number"))
    };
    let (index, count) = (number(k, "K")?, number(n, "N")?);
    if count == 0 || index == 0 || index > count {
        return Err(format!(
            "`{s}`: K must be between 1 and N (N at least 1), e.g. `1/{}`",
            count.max(1)
        ));
    }
    Ok(Shard { index, count })
}

/// The key a project is sharded by: its path's normal components joined by `/`.
fn key(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            Component::RootDir => Some(String::new()),
            Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    parts.join("/")
}

/// FNV-1a, 64 bits: fixed by its definition, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Shard {
    /// Whether the project at `path` is in this shard.
    #[must_use]
    pub fn holds(&self, path: &Path) -> bool {
        fnv1a(key(path).as_bytes()) % self.count + 1 == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(parse("1/1"), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/2", "1/b", "-1/2", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_and_are_stable() {
        let paths: Vec<String> = (0..500).map(|i| format!("services/svc-{i:04}")).collect();
        for count in 1..=7 {
            let mut seen = vec![0u32; paths.len()];
            for index in 1..=count {
                let shard = Shard { index, count };
                for (i, p) in paths.iter().enumerate() {
                    if shard.holds(Path::new(p)) {
                        seen[i] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{count} shards");
        }
        // `./a/b` and `a/b` are the same project; the value is fixed by FNV-1a.
        assert_eq!(key(Path::new("./a/b")), key(Path::new("a/b")));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
