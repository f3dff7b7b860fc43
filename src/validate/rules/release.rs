//! The release flow: scripts.yaml steps name objects cfgen renders, and run no
//! migration after the new version is rolled out.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::messages::release as msg;
use crate::model::FileKind::Scripts;
use crate::model::manifest::Target;
use crate::model::scripts::Step;
use crate::plan::release::{Kind, workloads};

/// kubectl verbs whose `KIND NAME` arguments name an existing object.
const NAMING_VERBS: &[&str] = &[
    "get",
    "describe",
    "delete",
    "scale",
    "rollout",
    "logs",
    "exec",
    "wait",
    "annotate",
    "label",
    "patch",
    "set",
    "autoscale",
    "expose",
    "port-forward",
];

/// kubectl's global flags that take a value as the next word.
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "-s",
    "--server",
];

/// Commands that migrate a database schema, as word prefixes.
const MIGRATIONS: &[&[&str]] = &[
    &["alembic", "upgrade"],
    &["flask", "db", "upgrade"],
    &["manage.py", "migrate"],
    &["rails", "db:migrate"],
    &["rake", "db:migrate"],
    &["prisma", "migrate", "deploy"],
    &["knex", "migrate:latest"],
    &["sequelize", "db:migrate"],
    &["typeorm", "migration:run"],
    &["flyway", "migrate"],
    &["liquibase", "update"],
    &["goose", "up"],
    &["diesel", "migration", "run"],
    &["sqlx", "migrate", "run"],
    &["npm", "run", "migrate"],
];

/// Every step with its phase and index, in run order.
fn steps<'a>(ctx: &Ctx<'a>) -> Vec<(&'static str, usize, &'a Step)> {
    let s = &ctx.config.scripts;
    [
        ("pre_deploy", &s.pre_deploy),
        ("deploy", &s.deploy),
        ("post_deploy", &s.post_deploy),
    ]
    .into_iter()
    .flat_map(|(phase, steps)| steps.iter().enumerate().map(move |(i, s)| (phase, i, s)))
    .collect()
}

/// The `(kind, name)` pairs a kubectl command names: `KIND/NAME`, and `KIND NAME` after a
/// verb that takes an existing object.
#[must_use]
pub fn named_objects(command: &str) -> Vec<(Kind, String)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let Some(start) = words.iter().position(|w| *w == "kubectl") else {
        return Vec::new();
    };
    let words = &words[start + 1..];
    let end = words.iter().position(|w| *w == "--").unwrap_or(words.len());
    let words = &words[..end];
    // The verb: the first word that is neither a flag nor a global flag's value.
    let mut verb = None;
    let mut skip = false;
    for w in words {
        if skip {
            skip = false;
        } else if w.starts_with('-') {
            skip = !w.contains('=') && VALUE_FLAGS.contains(w);
        } else {
            verb = Some(*w);
            break;
        }
    }
    let naming = verb.is_some_and(|v| NAMING_VERBS.contains(&v));
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let w = w.split_once('=').map_or(*w, |(_, v)| v);
        if let Some((kind, name)) = w.split_once('/')
            && let Some(kind) = Kind::from_kubectl(kind)
            && !name.is_empty()
            && !name.contains('$')
        {
            out.push((kind, name.to_owned()));
            continue;
        }
        if naming
            && let Some(kind) = Kind::from_kubectl(w)
            && let Some(next) = words.get(i + 1)
            && !next.starts_with('-')
            && !next.contains('/')
            && !next.contains('$')
        {
            out.push((kind, (*next).to_owned()));
        }
    }
    out
}

/// Every `KIND/NAME` a step's kubectl command names is an object cfgen renders.
pub fn steps_name_rendered_objects(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    if !ctx.config.manifest.wants(Target::Kubernetes) {
        return Vec::new();
    }
    let rendered = workloads(ctx.config);
    let rollouts = crate::plan::release::rollouts(ctx.config);
    let mut out = Vec::new();
    for (phase, i, step) in steps(ctx) {
        // what deploy.sh runs: blue-green rewrites a Rollout's `deployment/NAME`
        let command = crate::plan::release::blue_green_step(&step.command, &rollouts, 0)
            .map_or_else(|| step.command.to_string(), |(c, _)| c);
        for (kind, name) in named_objects(&command) {
            if rendered.iter().any(|(k, n)| *k == kind && *n == name) {
                continue;
            }
            let same_kind: Vec<String> = rendered
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, n)| n.clone())
                .collect();
            let closest = crate::diagnostics::closest(&name, same_kind.iter().map(String::as_str));
            let index = i.to_string();
            out.push(
                ctx.error(
                    "rule::unknown-object",
                    msg::unknown_workload(&step.name, kind.kubectl(), &name),
                    Scripts,
                    &["deployment_scripts", phase, &index, "command"],
                )
                .with_label(msg::UNKNOWN_WORKLOAD_LABEL)
                .with_help({
                    let help =
                        msg::unknown_workload_help(kind.kubectl(), &same_kind, closest.as_deref());
                    if kind == Kind::Deployment && !rollouts.is_empty() {
                        format!("{help}; {}", msg::blue_green_rollouts_help(&rollouts))
                    } else {
                        help
                    }
                }),
            );
        }
    }
    out
}

/// Whether `words` starts a migration: a known tool's, or a deploy job's command
/// (compared by program name). Returns the deploy job it matches, if any.
fn migration<'a>(words: &[&str], jobs: &'a [(String, Vec<String>)]) -> Option<Option<&'a str>> {
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_owned();
    let words: Vec<String> = words.iter().map(|w| base(w)).collect();
    for start in 0..words.len() {
        let rest = &words[start..];
        for (job, command) in jobs {
            let command: Vec<String> = command.iter().map(|w| base(w)).collect();
            if !command.is_empty() && rest.starts_with(&command) {
                return Some(Some(job.as_str()));
            }
        }
        if MIGRATIONS
            .iter()
            .any(|m| rest.len() >= m.len() && rest.iter().zip(m.iter()).all(|(a, b)| a == b))
        {
            return Some(None);
        }
    }
    None
}

/// A step after the rollout began (`kubectl apply`, `rollout status`, any post_deploy step)
/// that migrates a schema: warn, and say how to run it before traffic.
pub fn no_migration_after_rollout(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let jobs: Vec<(String, Vec<String>)> = ctx
        .config
        .manifest
        .deploy_jobs()
        .map(|(name, job)| (name.to_string(), (*job.command).clone()))
        .collect();
    let mut rolled_out = false;
    let mut out = Vec::new();
    for (phase, i, step) in steps(ctx) {
        let words: Vec<&str> = step.command.split_whitespace().collect();
        if phase == "post_deploy" {
            rolled_out = true;
        }
        if rolled_out && let Some(job) = migration(&words, &jobs) {
            let command = step.command.trim();
            let shown = command
                .split_once(" -- ")
                .map_or(command, |(_, after)| after.trim());
            let index = i.to_string();
            out.push(
                ctx.warning(
                    "rule::migration-after-rollout",
                    msg::migration_after_rollout(&step.name, shown),
                    Scripts,
                    &["deployment_scripts", phase, &index, "command"],
                )
                .with_label(msg::MIGRATION_AFTER_ROLLOUT_LABEL)
                .with_help(msg::migration_after_rollout_help(job, shown)),
            );
        }
        let kubectl = words.first() == Some(&"kubectl");
        if kubectl
            && (words.contains(&"apply")
                || words.windows(2).any(|w| w == ["rollout", "status"])
                || words.windows(2).any(|w| w == ["set", "image"]))
        {
            rolled_out = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_names_objects_by_slash_and_after_naming_verbs() {
        let names = |c: &str| named_objects(c);
        assert_eq!(
            names("kubectl rollout status deployment/shop --timeout=60s"),
            [(Kind::Deployment, "shop".to_owned())]
        );
        assert_eq!(
            names("kubectl -n x get deploy shop-app -o yaml"),
            [(Kind::Deployment, "shop-app".to_owned())]
        );
        assert_eq!(
            names("kubectl exec deployments.apps/a -- sh -c 'job/x'"),
            [(Kind::Deployment, "a".to_owned())]
        );
        assert_eq!(
            names("kubectl create job once --from=cronjob/api-report"),
            [(Kind::CronJob, "api-report".to_owned())]
        );
        assert!(names("kubectl apply -f k8s/").is_empty());
        assert!(names("kubectl get deployments").is_empty());
        assert!(names("pytest deployment/x").is_empty());
    }

    #[test]
    fn migrations_are_known_tools_or_a_deploy_jobs_command() {
        let jobs = vec![(
            "migrate".to_owned(),
            vec!["/usr/local/bin/shop".to_owned(), "migrate".to_owned()],
        )];
        let m = |c: &str| migration(&c.split_whitespace().collect::<Vec<_>>(), &jobs);
        assert_eq!(
            m("kubectl exec deployment/shop -- shop migrate"),
            Some(Some("migrate"))
        );
        assert_eq!(
            m("kubectl exec -it deploy/x -- alembic upgrade head"),
            Some(None)
        );
        assert_eq!(m("python manage.py migrate --noinput"), Some(None));
        assert_eq!(m("kubectl rollout status deployment/x"), None);
        assert_eq!(m("alembic history"), None);
    }
}
