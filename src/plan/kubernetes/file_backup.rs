//! The data volumes' claims and their file backup (backup.yaml `files`): a restic CronJob
//! mounting every claim read-only, the script of `scripts/backup_files.sh` in a ConfigMap.

use serde::Serialize;

use super::{Folder, Hardening, Skip, hardening, workload_skips};
use crate::model::Config;
use crate::plan::file_backup::{self, DataMount, FileBackupView};

#[derive(Serialize)]
struct ClaimView {
    claim: String,
    component: String,
    size: String,
    access: &'static str,
    storage_class: Option<String>,
    why: String,
}

#[derive(Serialize)]
struct CronJobView {
    backup: FileBackupView,
    security: Hardening,
    skips: Vec<Skip>,
    /// The process whose pods the backup pod must share a node with (a ReadWriteOnce claim).
    affinity: Option<String>,
}

fn claim(config: &Config, v: &DataMount) -> ClaimView {
    ClaimView {
        claim: v.claim.clone(),
        component: v.process.clone(),
        size: v.size.clone(),
        access: v.access,
        storage_class: config
            .kubernetes
            .storage
            .storage_class
            .as_ref()
            .map(ToString::to_string),
        why: format!(
            "the data volume `{}` of the process `{}` (cfgen.yaml processes.{}.volumes), mounted at {}",
            v.name, v.process, v.process, v.path
        ),
    }
}

/// The claims of the data volumes, and the file backup when backup.yaml has `files`.
pub(super) fn objects(config: &Config, folder: &mut Folder<'_>) {
    let volumes = file_backup::volumes(config);
    for v in &volumes {
        folder.add(
            &format!("pvc-{}.yaml", v.key),
            "kubernetes/file-backup-pvc.yaml.j2",
            || claim(config, v),
        );
    }
    let Some(backup) = file_backup::view(config) else {
        return;
    };
    if let Some(repo) = &backup.repository_claim {
        folder.add(
            "pvc-file-backups.yaml",
            "kubernetes/file-backup-pvc.yaml.j2",
            || ClaimView {
                claim: repo.clone(),
                component: "file-backup".into(),
                size: backup.repository_size.into(),
                access: "ReadWriteOnce",
                storage_class: None,
                why: format!(
                    "the restic repository of the file backups, mounted at {}",
                    backup.repository
                ),
            },
        );
    }
    let view = || {
        let backup = file_backup::view(config).unwrap_or_else(|| backup.clone());
        let security = hardening(config);
        let mut skips = workload_skips(&security);
        skips.push(Skip {
            id: "CKV_K8S_43",
            reason: format!("the restic image is given by tag ({})", backup.image),
        });
        // A ReadWriteOnce claim is mounted by one node: the backup runs beside the process.
        let affinity = backup
            .volumes
            .iter()
            .find(|v| v.access == "ReadWriteOnce")
            .map(|v| v.process.clone());
        CronJobView {
            backup,
            security,
            skips,
            affinity,
        }
    };
    folder.add(
        "configmap-file-backup.yaml",
        "kubernetes/file-backup-script.yaml.j2",
        || file_backup::view(config).unwrap_or_else(|| backup.clone()),
    );
    folder.add(
        "cronjob-file-backup.yaml",
        "kubernetes/file-backup-cronjob.yaml.j2",
        view,
    );
}
