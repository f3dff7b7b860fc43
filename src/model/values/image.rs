use std::fmt;
use std::str::FromStr;

use super::{StringValue, string_value_impls};

/// A container image reference: `[registry/]repository[:tag][@sha256:digest]`,
/// such as `python:3.11-slim` or `ghcr.io/acme/shop@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// Registry and repository path, e.g. `ghcr.io/acme/shop` or `python`.
    pub name: String,
    /// The tag, if given.
    pub tag: Option<String>,
    /// The `sha256:` digest, if given.
    pub digest: Option<String>,
}

impl StringValue for ImageRef {
    const NAME: &'static str = "ImageRef";
    const PATTERN: &'static str = "^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$";
    const EXPECTED: &'static str =
        "a container image reference `[registry/]name[:tag][@sha256:digest]` in lowercase";
    const EXAMPLES: &'static [&'static str] = &["python:3.11-slim", "nginx:1.24-alpine"];
}

impl FromStr for ImageRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| format!("digest `{d}` must start with `sha256:`"))?;
                if hex.len() != 64
                    || !hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                {
                    return Err(format!(
                        "digest `{d}` must be `sha256:` and 64 lowercase hex digits"
                    ));
                }
                (r, Some(d.to_owned()))
            }
            None => (s, None),
        };
        // A tag follows the last `:` that comes after the last `/` (a registry may have a port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if name.is_empty() {
            return Err("the image name is empty".into());
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(*c)))
        {
            return Err(if c.is_ascii_uppercase() {
                format!("image names are lowercase; `{c}` is not allowed")
            } else {
                format!("`{c}` is not allowed in an image name")
            });
        }
        if name.split('/').any(str::is_empty) {
            return Err(format!("`{name}` has an empty path component"));
        }
        if let Some(tag) = tag {
            let valid = !tag.is_empty()
                && tag.len() <= 128
                && !tag.starts_with(['.', '-'])
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !valid {
                return Err(format!(
                    "tag `{tag}` must be 1–128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"
                ));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            tag: tag.map(str::to_owned),
            digest,
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

string_value_impls!(ImageRef);
