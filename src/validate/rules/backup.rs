//! The database backup schedule against the recovery point objective, the
//! second backup site and the restore drill's frequency.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Backup, Manifest};
use crate::model::backup::Frequency;
use crate::model::values::Duration;

fn frequency_name(f: Frequency) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Backups taken every N hours can lose up to N hours of data: warn when that exceeds the
/// RPO. With a second site (`backup_sites: 2` and cfgen.yaml `backup.second_site`) a dump
/// counts only once its copy is there: the backup job copies it before it ends, so up to
/// the job's deadline more can be lost.
pub fn schedule_meets_rpo(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let b = &ctx.config.backup;
    let Some(dr) = &b.disaster_recovery else {
        return Vec::new();
    };
    let rpo = &dr.rpo;
    let frequency = *b.database.frequency.peek();
    let Some(interval) = frequency.interval() else {
        return Vec::new();
    };
    let copied = crate::plan::kubernetes::backup::second_site(ctx.config).is_some();
    let copy_secs = if copied {
        crate::plan::kubernetes::backup::job_deadline_secs(interval.as_secs())
    } else {
        0
    };
    let worst = Duration::from_secs(interval.as_secs() + copy_secs);
    if worst <= **rpo {
        return Vec::new();
    }
    let frequency = frequency_name(frequency);
    let label = if copied {
        format!(
            "RPO {rpo}, but up to {worst} of data can be lost: a backup every {interval}, counted once its copy reaches the second site (the job copies it within {})",
            Duration::from_secs(copy_secs)
        )
    } else {
        format!("RPO {rpo}, but up to {interval} of data can be lost between backups")
    };
    let d = ctx
        .warning(
            "rule::rpo",
            format!("{frequency} database backups cannot meet the recovery point objective of {rpo}"),
            Backup,
            &["backup_config", "disaster_recovery", "rpo"],
        )
        .with_label(label)
        .with_help(if copied {
            format!("no dump schedule cfgen renders copies a dump off site within {rpo}: add binlog or WAL shipping for point-in-time recovery, or relax `rpo` to `{worst}`")
        } else {
            format!("back up at least every {rpo} (`frequency: hourly`), add binlog shipping for point-in-time recovery, or relax `rpo` to `{interval}`")
        });
    vec![ctx.related_origin(
        d,
        b.database.frequency.origin(),
        format!("one backup every {interval}"),
    )]
}

/// `backup_sites` is honoured up to two: the second one needs a destination in cfgen.yaml;
/// a destination without `backup_sites: 2` would be a copy nobody asked for.
pub fn backup_sites_are_honourable(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let Some(dr) = &ctx.config.backup.disaster_recovery else {
        return Vec::new();
    };
    let sites = *dr.backup_sites.peek();
    let site = ctx
        .config
        .manifest
        .backup
        .as_ref()
        .and_then(|b| b.second_site.as_ref());
    let keys = ["backup_config", "disaster_recovery", "backup_sites"];
    let mut out = Vec::new();
    if ctx.config.manifest.dependencies.database.is_none() {
        return out;
    }
    if sites >= 2 && site.is_none() {
        out.push(
            ctx.warning(
                "rule::backup-sites",
                format!("backup_sites: {sites} asks for a copy of every dump at a second site, but cfgen.yaml names none: dumps stay on the cluster's own storage"),
                Backup,
                &keys,
            )
            .with_label("no second site to copy to")
            .with_help("add the bucket to cfgen.yaml: `backup: { second_site: { s3: { bucket: <name>, endpoint: https://<s3 endpoint>, secret: <Secret with access-key-id and secret-access-key> } } }`, or set `backup_sites: 1`"),
        );
    }
    if sites > 2 {
        out.push(
            ctx.warning(
                "rule::backup-sites",
                format!("backup_sites: {sites}: cfgen copies each dump to one second site; the sites beyond two are not rendered"),
                Backup,
                &keys,
            )
            .with_label("at most 2 are rendered")
            .with_help("set `backup_sites: 2`, or copy the second site's bucket further with the storage's own replication"),
        );
    }
    if sites < 2 && site.is_some() {
        out.push(
            ctx.warning(
                "rule::backup-sites",
                "cfgen.yaml names a second backup site, but backup.yaml keeps backups at one site: nothing is copied there".to_owned(),
                Manifest,
                &["backup", "second_site"],
            )
            .with_label("not used")
            .with_help("set `disaster_recovery.backup_sites: 2` in backup.yaml, or remove `backup.second_site`"),
        );
    }
    out
}

/// A restore drill runs on a schedule: `on_change` has none.
pub fn drill_frequency_is_periodic(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let Some(dr) = &ctx.config.backup.disaster_recovery else {
        return Vec::new();
    };
    if dr.testing_frequency.peek().interval().is_some()
        || ctx.config.manifest.dependencies.database.is_none()
    {
        return Vec::new();
    }
    vec![
        ctx.error(
            "rule::drill-frequency",
            "`testing_frequency: on_change` gives the restore drill no schedule".to_owned(),
            Backup,
            &["backup_config", "disaster_recovery", "testing_frequency"],
        )
        .with_label("a restore drill needs a period")
        .with_help("use `hourly`, `daily`, `weekly`, `monthly` or `quarterly` (the drill runs an hour after that day's dump)"),
    ]
}
