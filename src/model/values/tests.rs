//! The schema pattern and the parser of each typed value agree.

use super::*;

fn agree<T: StringValue>(samples: &[&str]) {
    let schema = serde_json::json!({ "type": "string", "pattern": T::PATTERN });
    let validator = jsonschema::draft202012::new(&schema).expect("pattern compiles");
    for sample in samples.iter().chain(T::EXAMPLES) {
        let by_schema = validator.is_valid(&serde_json::json!(sample));
        let by_parser = sample.parse::<T>();
        assert_eq!(
            by_schema,
            by_parser.is_ok(),
            "{}: `{sample}` schema says {by_schema}, parser says {:?}",
            T::NAME,
            by_parser.err()
        );
    }
}

#[test]
fn patterns_agree_with_parsers() {
    agree::<ClockTime>(&["02:00", "23:59", "24:00", "2:00", "02:60", "0200", "ab:cd"]);
    agree::<Duration>(&["30s", "1h30m", "30d", "2w", "", "30", "15x", "h", "1.5h"]);
    agree::<Escalation>(&["immediate", "15m", "now", "Immediate"]);
    agree::<DnsLabel>(&[
        "ecommerce-prod",
        "a",
        "Prod",
        "-x",
        "x-",
        "a_b",
        &"a".repeat(64),
    ]);
    agree::<HttpPath>(&["/health", "/", "health", "/a b", "/x?y"]);
    agree::<MetricName>(&["up", "a:b_c", "1abc", "a-b", ""]);
    agree::<ByteSize>(&["10M", "10m", "512k", "1G", "10", "10MB", "M"]);
    agree::<CpuQuantity>(&["250m", "0.5", "2", "1.25", "m", "0.5m", "1.", "2cores"]);
    agree::<MemoryQuantity>(&["512Mi", "1G", "100", "512MB", "Mi", "1.5Gi", "512m"]);
    agree::<Threshold>(&[
        "< 95%",
        "<95%",
        "< 10/hour",
        ">= 1.5",
        "95%",
        "< x",
        "< 10/week",
    ]);
    agree::<ImageRef>(&[
        "python:3.11-slim",
        "ghcr.io/acme/shop:1.0",
        "localhost:5000/a/b",
        "Python:3",
        "a//b",
        "x:",
    ]);
}

#[test]
fn values_parse_to_what_they_mean() {
    assert_eq!("500m".parse::<CpuQuantity>().unwrap().millicores(), 500);
    assert_eq!("1.5".parse::<CpuQuantity>().unwrap().millicores(), 1500);
    assert_eq!(
        "512Mi".parse::<MemoryQuantity>().unwrap().bytes(),
        512 << 20
    );
    assert_eq!(
        "1G".parse::<MemoryQuantity>().unwrap().bytes(),
        1_000_000_000
    );
    assert_eq!("10M".parse::<ByteSize>().unwrap().bytes(), 10 << 20);
    assert_eq!("1h30m".parse::<Duration>().unwrap().as_secs(), 5400);
    assert_eq!("90m".parse::<Duration>().unwrap().to_string(), "1h30m");
    assert_eq!("30d".parse::<Duration>().unwrap().to_string(), "30d");
    assert_eq!(
        "immediate".parse::<Escalation>().unwrap().wait().as_secs(),
        0
    );
    let t: Threshold = "< 10/hour".parse().unwrap();
    assert_eq!(
        (t.comparison, t.value, t.unit),
        (Comparison::Below, 10.0, ThresholdUnit::Per(3600, "hour"))
    );
    let image: ImageRef = "localhost:5000/a/b:1.2".parse().unwrap();
    assert_eq!(
        (image.name.as_str(), image.tag.as_deref()),
        ("localhost:5000/a/b", Some("1.2"))
    );
    assert_eq!(IntOrPercent::Percent(25).resolve(3, true), 1);
    assert_eq!(IntOrPercent::Percent(25).resolve(3, false), 0);
}

#[test]
fn parser_messages_name_the_problem() {
    assert_eq!(
        "15x".parse::<Duration>().unwrap_err(),
        "unknown unit `x`; use one of `s`, `m`, `h`, `d`, `w`"
    );
    assert!(
        "512MB"
            .parse::<MemoryQuantity>()
            .unwrap_err()
            .contains("did you mean `Mi`?")
    );
    assert!(
        "Prod"
            .parse::<DnsLabel>()
            .unwrap_err()
            .contains("use `prod`")
    );
    assert!(
        "Ecommerce_Prod"
            .parse::<DnsLabel>()
            .unwrap_err()
            .ends_with("use `ecommerce-prod`")
    );
}
