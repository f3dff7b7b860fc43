//! Handlers refer to formatters that exist; file handlers under a read-only root.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Docker, Logging};

/// Each handler's `formatter` names a formatter in `formatters`.
pub fn formatters_exist(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    // An absent file holds defaults, which agree with each other.
    if ctx.documents.get(Logging).is_none() {
        return Vec::new();
    }
    let l = &ctx.config.logging;
    l.handlers
        .iter()
        .filter(|(_, h)| !l.formatters.contains_key(h.formatter.peek()))
        .map(|(name, h)| {
            let known: Vec<String> = l.formatters.keys().cloned().collect();
            let help =
                crate::diagnostics::closest(&h.formatter, l.formatters.keys().map(String::as_str))
                    .map_or_else(
                        || {
                            format!(
                                "define it under `formatters`; known: {}",
                                crate::messages::one_of(&known)
                            )
                        },
                        |s| crate::messages::did_you_mean(&s),
                    );
            ctx.error(
                "rule::unknown-formatter",
                format!(
                    "handler `{name}` uses formatter `{}`, which is not defined",
                    h.formatter
                ),
                Logging,
                &["logging_config", "handlers", name, "formatter"],
            )
            .with_label("no such formatter")
            .with_help(help)
        })
        .collect()
}

/// A handler writing a file under a read-only root filesystem gets a writable
/// volume at the file's folder; say so, since file logs in containers are easy to lose.
pub fn file_handlers_get_a_writable_volume(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    // An absent file holds defaults, which agree with each other.
    if ctx.documents.get(Logging).is_none() {
        return Vec::new();
    }
    if !ctx.config.docker.runtime.security.read_only_filesystem {
        return Vec::new();
    }
    ctx.config
        .logging
        .handlers
        .iter()
        .filter(|(_, h)| h.class.writes_file())
        .filter_map(|(name, h)| {
            let file = h.filename.as_deref()?;
            let dir = file.rsplit_once('/').map_or("/", |(d, _)| if d.is_empty() { "/" } else { d });
            let d = ctx
                .warning("rule::log-file-read-only", format!("handler `{name}` writes `{file}` but the root filesystem is read-only"), Logging, &["logging_config", "handlers", name, "filename"])
                .with_label(format!("cfgen mounts a writable volume at `{dir}`"))
                .with_help("the volume lives as long as the pod: logs there are lost on restart and not collected; prefer the console handler, which the collector ships");
            Some(ctx.related(d, Docker, &["docker_config", "runtime", "security", "read_only_filesystem"], "read-only root filesystem"))
        })
        .collect()
}

/// `collection.agent` and `collection.destination` name a collector and a store cfgen
/// renders (fluentd or fluent-bit, shipping to Elasticsearch): another name would be
/// accepted and ship nothing.
pub fn collector_is_rendered(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    use crate::model::logging::{LogAgent, LogDestination};
    let Some(c) = ctx.config.logging.collection.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if matches!(c.agent.peek(), LogAgent::Vector | LogAgent::Promtail) {
        out.push(
            ctx.error(
                "rule::log-agent-not-rendered",
                crate::messages::logship::agent_not_rendered(&agent_name(*c.agent.peek())),
                Logging,
                &["logging_config", "collection", "agent"],
            )
            .with_label("cfgen renders no configuration for this collector")
            .with_help(crate::messages::logship::AGENT_HELP),
        );
    }
    if *c.destination.peek() != LogDestination::Elasticsearch {
        out.push(
            ctx.error(
                "rule::log-destination-not-rendered",
                crate::messages::logship::destination_not_rendered(
                    &serde_json::to_value(c.destination.peek())
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                ),
                Logging,
                &["logging_config", "collection", "destination"],
            )
            .with_label("cfgen ships logs to Elasticsearch only")
            .with_help(crate::messages::logship::DESTINATION_HELP),
        );
    }
    out
}

fn agent_name(agent: crate::model::logging::LogAgent) -> String {
    serde_json::to_value(agent)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
