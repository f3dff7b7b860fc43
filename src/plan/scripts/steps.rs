//! scripts.yaml steps mapped to the commands CI and `deploy.sh` run, in run order.

use serde::Serialize;

use crate::model::scripts::Step;
use crate::validate::Project;

use super::{DEFAULT_STEP_TIMEOUT_SECS, generated_scripts, timeout_minutes};

/// One scripts.yaml step, mapped to the command CI and `deploy.sh` run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeployStep {
    /// `pre_deploy`, `deploy` or `post_deploy`.
    pub phase: &'static str,
    /// The step's name.
    pub name: String,
    /// The command as scripts.yaml gives it.
    pub original: String,
    /// The command to run, relative to the project folder; it reads
    /// `$KUBE_NAMESPACE` and `$KUSTOMIZE_DIR` from the environment.
    pub command: String,
    /// Why the command differs from the original, when it does.
    pub notes: Vec<String>,
    /// A failure stops the deployment.
    pub required: bool,
    /// Timeout in seconds.
    pub timeout_secs: u64,
    /// The same, in whole minutes rounded up (GitHub `timeout-minutes`).
    pub timeout_minutes: u64,
    /// The generated script it runs (`backup_database.sh`), if any.
    pub script: Option<String>,
    /// Its program, for the list of tools a deployment needs.
    pub program: String,
}

/// Maps one step's command. `output` is the output folder relative to the
/// project folder (`deploy`).
#[must_use]
pub fn map_command(
    step: &Step,
    output: &str,
    generated: &[&str],
) -> (String, Vec<String>, Option<String>) {
    let original = step.command.trim();
    let mut notes = Vec::new();
    if let Some(script) = step.script() {
        let name = script.trim_start_matches("scripts/");
        if generated.contains(&name) {
            // Everything after the script path stays as written.
            let args = original
                .split_once(script)
                .map_or("", |(_, rest)| rest.trim());
            let path = format!("{output}/scripts/{name}");
            let command = if args.is_empty() {
                path
            } else {
                format!("{path} {args}")
            };
            return (command, notes, Some(name.to_owned()));
        }
        return (original.to_owned(), notes, None);
    }
    let words: Vec<&str> = original.split_whitespace().collect();
    if words.first() != Some(&"kubectl") {
        return (original.to_owned(), notes, None);
    }
    let mut out: Vec<String> = vec!["kubectl".into()];
    let mut has_namespace = false;
    let mut has_timeout = false;
    let mut i = 1;
    let mut after_dashdash = false;
    while i < words.len() {
        let w = words[i];
        if after_dashdash {
            out.push(w.to_owned());
            i += 1;
            continue;
        }
        match w {
            "--" => {
                after_dashdash = true;
                out.push(w.to_owned());
            }
            "-it" | "-ti" | "-t" | "--tty" | "-i" | "--stdin" => {
                notes.push(format!(
                    "`{w}` dropped: a deployment runs without a terminal or input (kubectl \
                     fails with `Unable to use a TTY`)"
                ));
            }
            "-f" | "--filename"
                if words
                    .get(i + 1)
                    .is_some_and(|p| matches!(p.trim_end_matches('/'), "k8s" | "./k8s")) =>
            {
                notes.push(format!(
                    "`{w} {}` applies the seed's flat folder; cfgen renders a kustomization per \
                     environment under {output}/k8s/<env>, applied with `-k`",
                    words[i + 1]
                ));
                out.push("-k".into());
                out.push("\"$KUSTOMIZE_DIR\"".into());
                i += 1;
            }
            _ => {
                has_namespace |= w == "-n"
                    || w == "--namespace"
                    || w.starts_with("--namespace=")
                    || w.starts_with("-n=");
                has_timeout |= w.starts_with("--timeout");
                out.push(w.to_owned());
            }
        }
        i += 1;
    }
    if !has_namespace {
        notes.push("namespace of the environment added (`--namespace`)".into());
        out.insert(1, "--namespace".into());
        out.insert(2, "\"$KUBE_NAMESPACE\"".into());
    }
    let rollout_status = words.windows(2).any(|w| w == ["rollout", "status"]);
    if rollout_status && !has_timeout {
        let secs = step
            .timeout
            .map_or(DEFAULT_STEP_TIMEOUT_SECS, |t| t.as_secs());
        notes.push(format!(
            "`--timeout={secs}s` added so kubectl reports the stalled rollout before the step \
             is killed"
        ));
        let at = out.iter().position(|w| w == "--").unwrap_or(out.len());
        out.insert(at, format!("--timeout={secs}s"));
    }
    (out.join(" "), notes, None)
}

/// Every scripts.yaml step in run order (pre_deploy, deploy, post_deploy).
#[must_use]
pub fn deploy_steps(project: &Project) -> Vec<DeployStep> {
    let s = &project.config.scripts;
    let output = project.config.manifest.output.trim_end_matches('/');
    let generated = generated_scripts(&project.config);
    let rollouts = crate::plan::release::rollouts(&project.config);
    let applyset = crate::plan::release::applyset(&project.config);
    [
        ("pre_deploy", &s.pre_deploy),
        ("deploy", &s.deploy),
        ("post_deploy", &s.post_deploy),
    ]
    .into_iter()
    .flat_map(|(phase, steps)| {
        let generated = generated.clone();
        let rollouts = rollouts.clone();
        let applyset = applyset.clone();
        steps.iter().map(move |step| {
            let (mut command, mut notes, script) = map_command(step, output, &generated);
            let timeout_secs = step
                .timeout
                .map_or(DEFAULT_STEP_TIMEOUT_SECS, |t| t.as_secs());
            if let Some((rewritten, note)) =
                crate::plan::release::blue_green_step(&command, &rollouts, timeout_secs)
            {
                if rewritten.starts_with("wait_rollout") {
                    notes.retain(|n| !n.starts_with("`--timeout=") && !n.starts_with("namespace"));
                }
                notes.push(note);
                command = rewritten;
            }
            let argocd = project.config.manifest.release.argocd.is_some();
            if let Some((promote, note)) = argocd
                .then(|| crate::plan::release::promote_step(&command))
                .flatten()
            {
                notes.clear();
                notes.push(note);
                command = promote;
            } else if let Some((pruning, note)) =
                crate::plan::release::prune_step(&command, &applyset)
            {
                notes.push(note);
                command = pruning;
            }
            // deploy.sh's `wait_rollout` runs kubectl
            let program = match command.split_whitespace().next().unwrap_or_default() {
                "wait_rollout" | "promote_image" | "KUBECTL_APPLYSET=true" => "kubectl".to_owned(),
                p => p.to_owned(),
            };
            DeployStep {
                phase,
                name: step.name.to_string(),
                original: step.command.trim().to_owned(),
                command,
                notes,
                required: *step.required,
                timeout_secs,
                timeout_minutes: timeout_minutes(timeout_secs),
                script,
                program,
            }
        })
    })
    .collect()
}
