//! Availability and saturation alerts.

use super::*;

/// Availability and saturation alerts.
#[must_use]
pub fn service_alerts(config: &Config, names: &Names) -> Vec<Alert> {
    let job = names.app_job.as_str();
    let app = names.app_target.as_str();
    let mut out = Vec::new();

    out.push(Alert {
        name: APP_DOWN.into(),
        class: AlertClass::Availability,
        comment: vec![format!("scrape job {job}: the app does not answer on its metrics path")],
        expr: vec![format!("up{{job=\"{job}\"}} == 0")],
        summary: "{{ $labels.job }} target {{ $labels.instance }} is down".into(),
        description: "Prometheus cannot scrape {{ $labels.instance }}: the process is down or does not answer on its metrics path.".into(),
        scenarios: vec![
            Scenario {
                what: "a failed scrape".into(),
                series: vec![(
                    sel("up", &[("job", job), ("instance", app)]),
                    Values::Step { before: 1.0, minutes: 2, after: 0.0 },
                )],
                ready: 120,
                fires: Some((owned(&[("job", job), ("instance", app)]), 0.0)),
            },
            Scenario {
                what: "successful scrapes".into(),
                series: vec![(sel("up", &[("job", job), ("instance", app)]), Values::Gauge(1.0))],
                ready: 120,
                fires: None,
            },
        ],
    });

    out.extend(crate::plan::monitoring::dependencies::alerts(names));

    if config
        .monitoring
        .application
        .metrics
        .contains(&AppMetric::ErrorRate)
    {
        let errors = |requests: f64, failed: f64| {
            let labels = |status| {
                [
                    ("job", job),
                    ("route", "/orders"),
                    ("method", "POST"),
                    ("status", status),
                ]
            };
            vec![
                (
                    sel("http_requests_total", &labels("201")),
                    Values::Counter(requests - failed),
                ),
                (
                    sel("http_requests_total", &labels("500")),
                    Values::Counter(failed),
                ),
                (
                    sel("http_request_errors_total", &labels("500")),
                    Values::Counter(failed),
                ),
            ]
        };
        out.push(Alert {
            name: "HighErrorRate".into(),
            class: AlertClass::Availability,
            comment: vec![format!(
                "application.metrics: error_rate; more than {} of requests fail (cfgen's default:",
                humanize_percentage(ERROR_RATIO_THRESHOLD)
            ), "monitoring.yaml gives no error threshold)".into()],
            expr: vec![format!(
                "{ERROR_RATIO}{{job=\"{job}\"}} > {}",
                number(ERROR_RATIO_THRESHOLD)
            )],
            summary: format!(
                "More than {} of {{{{ $labels.job }}}} requests fail",
                humanize_percentage(ERROR_RATIO_THRESHOLD)
            ),
            description: "{{ $value | humanizePercentage }} of requests were answered with 5xx over the last 5 minutes.".into(),
            scenarios: vec![
                Scenario {
                    what: "10% errors".into(),
                    series: errors(100.0, 10.0),
                    ready: RATE_WINDOW,
                    fires: Some((owned(&[("job", job)]), 0.1)),
                },
                Scenario {
                    what: "1% errors".into(),
                    series: errors(100.0, 1.0),
                    ready: RATE_WINDOW,
                    fires: None,
                },
            ],
        });
    }

    out.extend(crate::plan::monitoring::containers::alerts(config, names));
    let infra = &config.monitoring.infrastructure;
    // Test data: halfway between the threshold and 100% fires, half the threshold does not.
    let over = |t: f64| (t + 1.0) / 2.0;
    let under = |t: f64| t / 2.0;

    let node = names.node_job.as_str();
    let node_target = names.node_target.as_str();
    let disk_t = infra.disk_threshold.value() / 100.0;
    let fs_labels = [
        ("job", node),
        ("instance", node_target),
        ("device", "/dev/sda1"),
        ("fstype", "ext4"),
        ("mountpoint", "/"),
    ];
    let size = 100_000_000_000.0;
    let disk = |used: f64| {
        vec![
            (
                sel("node_filesystem_size_bytes", &fs_labels),
                Values::Gauge(size),
            ),
            (
                sel("node_filesystem_avail_bytes", &fs_labels),
                Values::Gauge(((1.0 - used) * size).round()),
            ),
        ]
    };
    let fs = format!("{{job=\"{node}\", fstype!~\"{PSEUDO_FILESYSTEMS}\"}}");
    out.push(Alert {
        name: "NodeDiskFull".into(),
        class: AlertClass::Saturation,
        comment: vec![format!(
            "infrastructure.disk_threshold: {}% of a node filesystem used (node_exporter)",
            infra.disk_threshold
        )],
        expr: vec![format!(
            "1 - node_filesystem_avail_bytes{fs} / node_filesystem_size_bytes{fs} > {}",
            number(disk_t)
        )],
        summary: format!(
            "{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} is more than {}% full",
            infra.disk_threshold
        ),
        description: "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} is {{ $value | humanizePercentage }} full.".into(),
        scenarios: threshold_scenarios(disk_t, &over, &under, &disk, 60, &fs_labels),
    });

    let net_t = infra.network_threshold.value() / 100.0;
    let nic = [("job", node), ("instance", node_target), ("device", "eth0")];
    let speed = 125_000_000.0; // 1 Gbit/s
    let net = |share: f64| {
        vec![
            (sel("node_network_speed_bytes", &nic), Values::Gauge(speed)),
            (
                sel("node_network_receive_bytes_total", &nic),
                Values::Counter(round6(share * speed * 60.0)),
            ),
            (
                sel("node_network_transmit_bytes_total", &nic),
                Values::Counter(0.0),
            ),
        ]
    };
    let nic_rate = |dir: &str| {
        format!(
            "rate(node_network_{dir}_bytes_total{{job=\"{node}\"}}[{}]) / (node_network_speed_bytes{{job=\"{node}\"}} > 0) > {}",
            range(RATE_WINDOW),
            number(net_t)
        )
    };
    out.push(Alert {
        name: "NodeNetworkSaturated".into(),
        class: AlertClass::Saturation,
        comment: vec![
            format!(
                "infrastructure.network_threshold: {}% of a node interface's link speed, either direction",
                infra.network_threshold
            ),
            "(interfaces without a speed, such as lo and veth, report none and are skipped)".into(),
        ],
        expr: vec![nic_rate("receive"), "or".into(), nic_rate("transmit")],
        summary: format!(
            "{{{{ $labels.device }}}} on {{{{ $labels.instance }}}} carries more than {}% of its link speed",
            infra.network_threshold
        ),
        description: "{{ $labels.device }} on {{ $labels.instance }} ran at {{ $value | humanizePercentage }} of its link speed over the last 5 minutes.".into(),
        scenarios: threshold_scenarios(net_t, &over, &under, &net, RATE_WINDOW, &nic),
    });
    out
}
