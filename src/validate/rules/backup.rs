//! The database backup schedule against the recovery point objective.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::Backup;

/// Backups taken every N hours can lose up to N hours of data: warn when that exceeds the RPO.
pub fn schedule_meets_rpo(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let b = &ctx.config.backup;
    let Some(dr) = &b.disaster_recovery else {
        return Vec::new();
    };
    let rpo = &dr.rpo;
    let Some(interval) = b.database.frequency.interval() else {
        return Vec::new();
    };
    if interval <= **rpo {
        return Vec::new();
    }
    let frequency = serde_json::to_value(b.database.frequency)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let d = ctx
        .warning(
            "rule::rpo",
            format!("{frequency} database backups cannot meet the recovery point objective of {rpo}"),
            Backup,
            &["backup_config", "disaster_recovery", "rpo"],
        )
        .with_label(format!("RPO {rpo}, but up to {interval} of data can be lost between backups"))
        .with_help(format!("back up at least every {rpo} (`frequency: hourly`), add binlog shipping for point-in-time recovery, or relax `rpo` to `{interval}`"));
    vec![ctx.related_origin(
        d,
        b.database.frequency.origin(),
        format!("one backup every {interval}"),
    )]
}
