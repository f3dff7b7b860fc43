//! The manifest's workload must be one cfgen can honour: an image that is
//! built or prebuilt (not both, not neither), options that apply to the
//! runtime, an entrypoint the runtime can start, processes with what they
//! need, names that fit Kubernetes, variables that do not shadow cfgen's.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::manifest::{Runtime, Target};
use crate::plan::runtimes;
use crate::provenance::Origin;

/// Every workload rule, in order.
pub fn workload_is_honourable(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    image_and_build(ctx, &mut out);
    runtime_options(ctx, &mut out);
    processes(ctx, &mut out);
    variables(ctx, &mut out);
    environments(ctx, &mut out);
    out
}

fn push(out: &mut Vec<Diagnostic>, d: Option<Diagnostic>) {
    out.extend(d);
}

fn image_and_build(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let m = &ctx.config.manifest;
    let image = m.image.peek();
    match &m.build {
        Some(build) => {
            match (&build.runtime, &build.dockerfile) {
                (Some(_), Some(own)) => push(
                    out,
                    ctx.error_at(
                        "rule::build-twice",
                        "`build` names both a `runtime` and a `dockerfile`".into(),
                        own.origin(),
                    )
                    .map(|d| {
                        d.with_label("your own Dockerfile")
                            .with_help("keep `runtime` for a Dockerfile cfgen writes, or `dockerfile` for yours; not both")
                    }),
                ),
                (None, None) => out.push(
                    ctx.key_error(
                        "rule::build-nothing",
                        "`build` says neither what to build nor how".into(),
                        &["build"],
                    )
                    .with_label("no `runtime` or `dockerfile`")
                    .with_help(format!("add `runtime: python` (or {}) for a Dockerfile cfgen writes, `dockerfile: path/to/Dockerfile` for yours, or remove `build` to deploy `image` as a prebuilt image", Runtime::ALL[1..].iter().map(|r| r.name()).collect::<Vec<_>>().join(", "))),
                ),
                _ => {}
            }
            if image.tag.is_some() || image.digest.is_some() {
                push(
                    out,
                    ctx.error_at(
                        "rule::built-image-tag",
                        format!("`image` is `{image}`, but an image cfgen builds is tagged by CI"),
                        m.image.origin(),
                    )
                    .map(|d| {
                        d.with_label("a tag or digest on a built image")
                            .with_help(format!(
                                "write the repository alone, `image: {}`: CI tags each build with the commit SHA and deploys it by digest (or remove `build` to deploy this image as it is)",
                                image.name
                            ))
                    }),
                );
            }
        }
        None => {
            if image.tag.is_none() && image.digest.is_none() {
                push(
                    out,
                    ctx.error_at(
                        "rule::prebuilt-untagged",
                        format!("the prebuilt image `{image}` names no tag or digest"),
                        m.image.origin(),
                    )
                    .map(|d| {
                        d.with_label("which version?")
                            .with_help(format!(
                                "name the version to deploy, `{}:1.4.2` (resolved to a digest before each deploy) or `{}@sha256:…`; or add `build:` to have cfgen build it",
                                image.name, image.name
                            ))
                    }),
                );
            }
        }
    }
    if let Some(targets) = &m.targets
        && targets.peek().contains(&Target::Image)
        && m.runtime().is_none()
    {
        push(
            out,
            ctx.error_at(
                "rule::image-target",
                "`targets` lists `image`, but cfgen writes no Dockerfile for this project".into(),
                targets.origin(),
            )
            .map(|d| {
                d.with_label("no runtime recipe")
                    .with_help("the image family is the Dockerfile of a `build.runtime`; remove `image` from `targets`, or set `build.runtime`")
            }),
        );
    }
    // The workflow's deploy jobs run scripts/deploy.sh: without the scripts family the
    // workflow would name a program that does not exist.
    if let Some(targets) = &m.targets
        && targets.peek().contains(&Target::Workflow)
        && targets.peek().contains(&Target::Kubernetes)
        && !targets.peek().contains(&Target::Scripts)
    {
        push(
            out,
            ctx.error_at(
                "rule::workflow-needs-scripts",
                "`targets` lists `workflow` but not `scripts`: the workflow's deploy jobs run scripts/deploy.sh, which only the scripts family writes".into(),
                targets.origin(),
            )
            .map(|d| {
                d.with_label("no scripts/deploy.sh")
                    .with_help("add `scripts` to `targets` (or remove `workflow` and deploy another way)")
            }),
        );
    }
}

fn runtime_options(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let Some(build) = &ctx.config.manifest.build else {
        return;
    };
    let runtime = build.runtime.as_ref().map(|r| *r.peek());
    let recipe = runtime.map(runtimes::of);
    let shown = runtime.map_or_else(
        || "your own Dockerfile".to_owned(),
        |r| format!("the `{}` runtime", r.name()),
    );
    let written: [(&str, Option<Origin>); 6] = [
        ("entrypoint", build.entrypoint.as_ref().map(|v| v.origin())),
        ("sources", build.sources.as_ref().map(|v| v.origin())),
        ("server", build.server.as_ref().map(|v| v.origin())),
        (
            "package_manager",
            build.package_manager.as_ref().map(|v| v.origin()),
        ),
        ("build_tool", build.build_tool.as_ref().map(|v| v.origin())),
        ("package", build.package.as_ref().map(|v| v.origin())),
    ];
    debug_assert_eq!(written.map(|(k, _)| k), runtimes::OPTIONS);
    for (key, origin) in written {
        let Some(origin) = origin else { continue };
        if recipe.is_some_and(|r| r.options().contains(&key)) {
            continue;
        }
        let takers: Vec<String> = Runtime::ALL
            .iter()
            .filter(|r| runtimes::of(**r).options().contains(&key))
            .map(|r| format!("`{}`", r.name()))
            .collect();
        let help = if recipe.is_none() {
            "your Dockerfile decides what it copies and starts; remove this key, or give a process its `command`".to_owned()
        } else if takers.is_empty() {
            format!("no runtime of this cfgen takes `{key}`; remove it")
        } else {
            format!(
                "`{key}` is an option of {} only; remove it",
                takers.join(" and ")
            )
        };
        push(
            out,
            ctx.error_at(
                "rule::runtime-option",
                format!("`build.{key}` does not apply to {shown}"),
                origin,
            )
            .map(|d| d.with_label("not an option here").with_help(help)),
        );
    }
    let (Some(runtime), Some(recipe)) = (runtime, recipe) else {
        return;
    };
    let entry = build.entrypoint.as_ref();
    let Some((label, help)) = recipe.entrypoint_problem(entry.map(|e| e.peek().as_str())) else {
        return;
    };
    let d = match entry {
        Some(e) => ctx.error_at(
            "rule::entrypoint",
            format!(
                "`{}` is not an entrypoint the `{}` runtime can start",
                e.peek(),
                runtime.name()
            ),
            e.origin(),
        ),
        None => Some(ctx.key_error(
            "rule::entrypoint",
            format!("a {} build needs `entrypoint`", runtime.name()),
            &["build", "runtime"],
        )),
    };
    push(out, d.map(|d| d.with_label(label).with_help(help)));
}

fn processes(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let m = &ctx.config.manifest;
    let project = m.name.peek().as_str();
    let public: Vec<_> = m.processes.iter().filter(|(_, p)| p.is_public()).collect();
    if let [_, second, ..] = public.as_slice() {
        let names: Vec<String> = public.iter().map(|(n, _)| format!("`{n}`")).collect();
        out.push(
            ctx.key_error(
                "rule::public-processes",
                format!("{} processes are public: {}", public.len(), names.join(", ")),
                &["processes", second.0.as_str()],
            )
            .with_label("public too (it has a port)")
            .with_help("nginx and the Ingress serve one process on each host; set `public: false` on the others (they stay reachable inside the stack and the cluster)"),
        );
    }
    for (name, p) in &m.processes {
        if project.len() + 1 + name.as_str().len() > 63 {
            out.push(
                ctx.key_error(
                    "rule::object-name",
                    format!("`{project}-{name}` is longer than 63 characters"),
                    &["processes", name.as_str()],
                )
                .with_label("names the Kubernetes objects with the project name")
                .with_help("Kubernetes names are DNS labels of at most 63 characters; shorten the process or project name"),
            );
        }
        if p.port.is_none() {
            if let Some(public) = &p.public
                && *public.peek()
            {
                push(
                    out,
                    ctx.error_at(
                        "rule::public-without-port",
                        format!("the process `{name}` is public but has no port"),
                        public.origin(),
                    )
                    .map(|d| {
                        d.with_label("nothing to serve")
                            .with_help("add `port:` (what it listens on), or remove `public`")
                    }),
                );
            }
            if let Some(probes) = &p.probes {
                push(
                    out,
                    ctx.error_at(
                        "rule::probes-without-port",
                        format!("the process `{name}` has probe paths but no port"),
                        first_written(&[probes.liveness.origin(), probes.readiness.origin(), probes.metrics.origin()]),
                    )
                    .map(|d| d.with_label("HTTP probes need a port").with_help("add `port:`, or remove `probes` (a worker can have a `healthcheck` command)")),
                );
            }
            if p.command.is_none() && m.runtime().is_some() {
                out.push(
                    ctx.key_error(
                        "rule::process-command",
                        format!("the process `{name}` has no port and no command"),
                        &["processes", name.as_str()],
                    )
                    .with_label("what does it run?")
                    .with_help("give it `command: [program, arg…]` (the image's server runs only for a process with a port)"),
                );
            }
        }
    }
}

/// The variables cfgen sets itself (the app contract of `app/README.md`).
const CFGEN_VARIABLES: &[&str] = &[
    "PORT",
    "RUN_MODE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "WORKERS",
    "WORKER_CONNECTIONS",
    "KEEPALIVE_TIMEOUT_SECONDS",
    "REQUEST_BODY_LIMIT_BYTES",
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
    "DB_POOL_TIMEOUT_SECONDS",
    "DB_POOL_RECYCLE_SECONDS",
    "DB_QUERY_TIMEOUT_SECONDS",
    "REDIS_POOL_SIZE",
    "REDIS_TIMEOUT_SECONDS",
    "CACHE_TTL_SECONDS",
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "REDIS_URL",
    "REDIS_URL_FILE",
];

fn variables(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let m = &ctx.config.manifest;
    let secret_vars: Vec<String> = m
        .secrets
        .keys()
        .flat_map(|n| [n.to_string(), format!("{n}_FILE")])
        .collect();
    let mut maps = vec![("env", None, &m.env)];
    maps.extend(
        m.processes
            .iter()
            .map(|(n, p)| ("env", Some(n.to_string()), &p.env)),
    );
    maps.extend(
        m.jobs
            .iter()
            .map(|(n, j)| ("env", Some(n.to_string()), &j.env)),
    );
    maps.extend(
        m.environments
            .iter()
            .map(|(n, e)| ("env", Some(format!("environments.{n}")), &e.env)),
    );
    for (_, owner, vars) in maps {
        for (name, value) in vars {
            let n = name.as_str();
            let clash = if CFGEN_VARIABLES.contains(&n) {
                Some(
                    "cfgen sets itself (from the policy files, the process's port or the dependencies)",
                )
            } else if secret_vars.iter().any(|s| s == n) {
                Some("is a secret's variable (`secrets`)")
            } else {
                None
            };
            let Some(why) = clash else { continue };
            let Some(origin) = key_origin(value.origin()) else {
                continue;
            };
            let place = owner
                .as_ref()
                .map_or_else(|| "`env`".to_owned(), |o| format!("the `env` of `{o}`"));
            push(
                out,
                ctx.error_at(
                    "rule::env-shadows",
                    format!("{place} sets `{n}`, which {why}"),
                    origin,
                )
                .map(|d| {
                    d.with_label("would be overwritten").with_help(format!(
                        "rename the variable, or change the setting cfgen takes `{n}` from"
                    ))
                }),
            );
        }
    }
    for (name, delivery) in &m.secrets {
        if CFGEN_VARIABLES.contains(&name.as_str()) {
            push(
                out,
                ctx.error_at(
                    "rule::env-shadows",
                    format!("the secret `{name}` is one cfgen provides"),
                    delivery.origin(),
                )
                .map(|d| {
                    d.with_label("already a secret").with_help(
                        "DATABASE_URL and REDIS_URL come from `dependencies`; remove this entry",
                    )
                }),
            );
        }
    }
}

/// The first of `origins` that was written in a file.
fn first_written(origins: &[Origin]) -> Origin {
    origins
        .iter()
        .copied()
        .find(|o| matches!(o, Origin::Input(..)))
        .unwrap_or(Origin::Default)
}

/// A value's origin, to point an error at (the value stands right after its key).
fn key_origin(origin: Origin) -> Option<Origin> {
    matches!(origin, Origin::Input(..)).then_some(origin)
}

fn environments(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let m = &ctx.config.manifest;
    let needs_host = m.public_process().is_some()
        && m.wants(Target::Kubernetes)
        && *ctx.config.kubernetes.networking.ingress_enabled.peek();
    for (env_name, env) in &m.environments {
        if needs_host && env.host.is_none() {
            out.push(
                ctx.key_error(
                    "rule::environment-host",
                    format!("the environment `{env_name}` has no `host` for its public process"),
                    &["environments", env_name.as_str()],
                )
                .with_label("no host")
                .with_help("add `host: api.example.com` (the Ingress serves the public process there), or turn the Ingress off in kubernetes.yaml (`networking.ingress_enabled: false`)"),
            );
        }
        for name in env.processes.keys() {
            if !m.processes.contains_key(name) {
                let known: Vec<String> = m.processes.keys().map(ToString::to_string).collect();
                out.push(
                    ctx.key_error(
                        "rule::unknown-process",
                        format!("`environments.{env_name}.processes` names `{name}`, which is not a process"),
                        &["environments", env_name.as_str(), "processes", name.as_str()],
                    )
                    .with_label("no such process")
                    .with_help(
                        crate::diagnostics::closest(name.as_str(), known.iter().map(String::as_str)).map_or_else(
                            || format!("the processes are {}", crate::messages::all_of(&known)),
                            |s| crate::messages::did_you_mean(&s),
                        ),
                    ),
                );
            }
        }
    }
}
