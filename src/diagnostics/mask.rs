//! Secrets stay out of diagnostics: the values of keys whose names look like
//! secrets (`password`, `api_token`, `private_key`, …), PEM blocks, and the
//! password of a URL (`mysql://app:hunter2@db`) are masked in every excerpt
//! and in the message, label and help text of every format.
//!
//! The scan works on the text, not the YAML tree, so that it also masks
//! files that do not parse. Masking keeps byte offsets and line breaks
//! (each masked character becomes as many `*` as it has bytes), so every
//! span and line/column stays valid.

use std::ops::Range;

/// Substrings of key names that mark a value as a secret (compared in lowercase).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "private_key",
    "privatekey",
    "private-key",
    "credential",
];

/// Whether a key name looks like it holds a secret.
#[must_use]
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
}

/// Byte ranges of `text` to mask, sorted and disjoint.
#[must_use]
pub fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some((start, line.trim_end_matches(['\n', '\r'])))
        })
        .collect();
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        let mut block_from = None;
        for (key_end, value) in keyed_values(line) {
            let key = key_before(line, key_end);
            if !is_secret_key(key) {
                continue;
            }
            if value.is_empty() || value.start >= line.len() {
                block_from = Some(indent(line));
                continue;
            }
            let v = &line[value.clone()];
            if v.starts_with('|') || v.starts_with('>') {
                block_from = Some(indent(line));
                continue;
            }
            ranges.push(start + value.start..start + value.end);
        }
        i += 1;
        // A block under a secret key (a block scalar, or a mapping such as
        // `credentials:`): every more-indented line's content is masked.
        if let Some(base) = block_from {
            while i < lines.len() {
                let (s, l) = lines[i];
                if !l.trim().is_empty() && indent(l) <= base {
                    break;
                }
                let content = l.trim_start();
                if !content.is_empty() && !content.starts_with('#') {
                    ranges.push(s + indent(l)..s + l.trim_end().len());
                }
                i += 1;
            }
        }
    }
    pem_blocks(text, &mut ranges);
    url_passwords(text, &mut ranges);
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Leading spaces and list markers (`- `) of a line.
fn indent(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'-' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            i += 1;
        } else {
            return i;
        }
    }
}

/// The key name that ends at `key_end` (its `:`), without quotes.
fn key_before(line: &str, key_end: usize) -> &str {
    let head = line[..key_end].trim_end();
    let head = head.trim_end_matches(['"', '\'']);
    let start = head
        .rfind(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |i| {
            i + head[i..].chars().next().map_or(1, char::len_utf8)
        });
    &head[start..]
}

/// `(position of the key's colon, value range)` for each `key: value` on a
/// line, block (`key: v`) or flow (`{a: 1, key: v}`); a value ends at the end
/// of the line, a ` #` comment, or, in flow context, at `,`, `}` or `]`.
fn keyed_values(line: &str) -> Vec<(usize, Range<usize>)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut in_flow = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'{' | b'[' => in_flow += 1,
            b'}' | b']' => in_flow = in_flow.saturating_sub(1),
            b'#' if i == 0 || bytes[i - 1] == b' ' => break,
            b':' if i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t' => {
                let mut start = i + 1;
                while start < bytes.len() && (bytes[start] == b' ' || bytes[start] == b'\t') {
                    start += 1;
                }
                let end = value_end(line, start, in_flow > 0);
                out.push((i, start..end));
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn value_end(line: &str, start: usize, flow: bool) -> usize {
    let bytes = line.as_bytes();
    if start >= bytes.len() {
        return start;
    }
    if matches!(bytes[start], b'"' | b'\'') {
        let q = bytes[start];
        let mut i = start + 1;
        while i < bytes.len() {
            if bytes[i] == b'\\' && q == b'"' {
                i += 2;
                continue;
            }
            if bytes[i] == q {
                return i + 1;
            }
            i += 1;
        }
        return bytes.len();
    }
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if (b == b'#' && bytes[i - 1] == b' ') || (flow && matches!(b, b',' | b'}' | b']')) {
            break;
        }
        i += 1;
    }
    start + line[start..i].trim_end().len()
}

/// The bodies of PEM blocks (`-----BEGIN …-----` to `-----END …-----`).
fn pem_blocks(text: &str, ranges: &mut Vec<Range<usize>>) {
    let mut from = 0;
    while let Some(begin) = text[from..].find("-----BEGIN ").map(|i| from + i) {
        let body = text[begin..]
            .find('\n')
            .map_or(text.len(), |i| begin + i + 1);
        let end = text[body..]
            .find("-----END ")
            .map_or(text.len(), |i| body + i);
        // Each line's content; indentation and line breaks stay.
        let mut offset = body;
        for line in text[body..end].split_inclusive('\n') {
            let content = line.trim();
            if !content.is_empty() {
                let lead = line.len() - line.trim_start().len();
                ranges.push(offset + lead..offset + lead + content.len());
            }
            offset += line.len();
        }
        from = end.max(begin + 1);
    }
}

/// The password of each `scheme://user:password@host`.
fn url_passwords(text: &str, ranges: &mut Vec<Range<usize>>) {
    let mut from = 0;
    while let Some(at) = text[from..].find("://").map(|i| from + i + 3) {
        let authority_end = text[at..]
            .find(|c: char| {
                matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"' || c == '\''
            })
            .map_or(text.len(), |i| at + i);
        let authority = &text[at..authority_end];
        if let Some(userinfo_end) = authority.rfind('@')
            && let Some(colon) = authority[..userinfo_end].find(':')
        {
            ranges.push(at + colon + 1..at + userinfo_end);
        }
        from = authority_end.max(at);
    }
}

/// `text` with `ranges` masked: each character becomes `*`s, one per byte.
#[must_use]
pub fn apply(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in ranges {
        out.push_str(&text[last..r.start]);
        for c in text[r.clone()].chars() {
            if c == '\n' || c == '\r' {
                out.push(c);
            } else {
                out.extend(std::iter::repeat_n('*', c.len_utf8()));
            }
        }
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Replaces in `message` every secret of `text` found in `ranges` (without
/// its quotes) by `****`.
#[must_use]
pub fn scrub(message: &str, text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = message.to_owned();
    for r in ranges {
        let secret = text[r.clone()].trim().trim_matches(['"', '\'']);
        if secret.chars().count() >= 3 && out.contains(secret) {
            out = out.replace(secret, "****");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        apply(text, &secret_ranges(text))
    }

    #[test]
    fn secret_values_are_masked_and_the_rest_is_kept() {
        let text =
            "a:\n  api_token: \"sk-live-123\"  # prod\n  name: web\n  DB_PASSWORD: hunter2\n";
        assert_eq!(
            masked(text),
            "a:\n  api_token: *************  # prod\n  name: web\n  DB_PASSWORD: *******\n"
        );
        let flow = "x: {user: app, password: s3cr3t, port: 1}\n";
        assert_eq!(masked(flow), "x: {user: app, password: ******, port: 1}\n");
        let url = "url: mysql://app:hunter2@db:3306/shop\n";
        assert_eq!(masked(url), "url: mysql://app:*******@db:3306/shop\n");
        let block = "private_key: |\n  line one\n  abc\nnext: 1\n";
        assert_eq!(
            masked(block),
            "private_key: |\n  ********\n  ***\nnext: 1\n"
        );
        let nested = "credentials:\n  user: app\n  pass: x\nother: y\n";
        assert_eq!(
            masked(nested),
            "credentials:\n  *********\n  *******\nother: y\n"
        );
        let pem = "k: \"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\"\n";
        assert!(!masked(pem).contains("MIIE"));
        assert_eq!(masked(pem).len(), pem.len());
        let wide = "token: 密码密码\n";
        assert_eq!(masked(wide).len(), wide.len());
        assert!(!masked(wide).contains('密'));
    }

    #[test]
    fn scrub_removes_secrets_from_messages() {
        let text = "api_token: \"sk-live-123\"\n";
        let ranges = secret_ranges(text);
        assert_eq!(
            scrub("`sk-live-123` is not a number", text, &ranges),
            "`****` is not a number"
        );
    }
}
