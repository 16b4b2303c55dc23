//! `/metrics` after a run of wrong PINs: sign-in outcomes, the automatic resets and the
//! lockout the core reported, and the mail they queued, in OpenMetrics text that parses.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::json;
use voicepin_core::access::Role;

use super::support::{ALICE_PIN, TestApi, token};

/// The samples of an OpenMetrics text exposition, `name{labels}` to value, after checking
/// its grammar line by line: every family has a TYPE and a HELP before its samples, every
/// sample belongs to a declared family and has a number, and the text ends with `# EOF`.
fn parse_openmetrics(text: &str) -> BTreeMap<String, f64> {
    assert!(text.ends_with("# EOF\n"), "no # EOF at the end");
    let mut families: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = Vec::new();
    let mut samples = BTreeMap::new();
    let is_name = |name: &str| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    for line in text.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, name) = (parts.next().unwrap(), parts.next().unwrap_or(""));
            assert!(is_name(name), "bad family name in {line:?}");
            match keyword {
                "TYPE" => {
                    let kind = parts.next().unwrap_or("");
                    let known = ["counter", "gauge", "histogram", "summary", "info", "stateset", "unknown"];
                    assert!(known.contains(&kind), "bad type in {line:?}");
                    assert!(families.insert(name.to_owned(), kind.to_owned()).is_none(), "two TYPEs for {name}");
                }
                "HELP" => helped.push(name.to_owned()),
                "UNIT" => {}
                other => panic!("unknown comment {other:?} in {line:?}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value in {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            number => number.parse().unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let name = series.split('{').next().unwrap();
        assert!(is_name(name), "bad metric name in {line:?}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let labels = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')).expect("braces");
            for pair in labels.split(',') {
                let (key, quoted) = pair.split_once('=').unwrap_or_else(|| panic!("bad label in {line:?}"));
                assert!(is_name(key) && quoted.starts_with('"') && quoted.ends_with('"'), "bad label in {line:?}");
            }
        }
        let family = ["_total", "_bucket", "_count", "_sum", "_created", ""]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| families.contains_key(*f)))
            .unwrap_or_else(|| panic!("{name} belongs to no declared family"));
        assert!(helped.iter().any(|h| h == family), "{family} has no HELP");
        assert!(samples.insert(series.to_owned(), value).is_none(), "{series} twice");
    }
    samples
}

#[tokio::test]
async fn wrong_pins_show_as_resets_a_lockout_and_queued_mail() {
    let api = TestApi::seeded().await;
    let voice = token(Role::VoiceService);
    let sign_in = |pin: &str| json!({"extension": "12345", "pin": pin});
    let before = parse_openmetrics(&api.call(Method::GET, "/metrics", Some(&token(Role::ViewOnly)), None).await.text);
    assert_eq!(before["voicepin_pin_auto_resets_total"], 0.0);
    assert_eq!(before["voicepin_lockouts_total"], 0.0);
    assert_eq!(before["voicepin_mail_deliveries_total{result=\"sent\"}"], 0.0);

    let reply = api.call(Method::POST, "/api/v1/voice-access/sign-in", Some(&voice), Some(sign_in(ALICE_PIN))).await;
    assert_eq!(reply.json, json!({"outcome": "success"}), "{}", reply.text);
    // MaxLogonAttempts (15) wrong PINs: resets after the 5th and 10th, locked at the 15th.
    for _ in 0..15 {
        let reply =
            api.call(Method::POST, "/api/v1/voice-access/sign-in", Some(&voice), Some(sign_in("90210999"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }

    let reply = api.call(Method::GET, "/metrics", Some(&token(Role::ViewOnly)), None).await;
    assert!(reply.content_type().starts_with("application/openmetrics-text"));
    let metrics = parse_openmetrics(&reply.text);
    assert_eq!(metrics["voicepin_sign_ins_total{outcome=\"success\"}"], 1.0, "{}", reply.text);
    assert_eq!(metrics["voicepin_sign_ins_total{outcome=\"failed\"}"], 15.0);
    assert_eq!(metrics["voicepin_pin_auto_resets_total"], 2.0);
    assert_eq!(metrics["voicepin_lockouts_total"], 1.0);
    // Two reset messages and the lockout notice wait in the outbox (beside any welcome).
    let queued = metrics["voicepin_mail_queue_messages{status=\"queued\"}"];
    assert!(queued >= 3.0, "{}", reply.text);
    assert_eq!(metrics["voicepin_mail_queue_messages{status=\"failed\"}"], 0.0);
    assert!(metrics["voicepin_mail_queue_oldest_age_seconds"] >= 0.0);
    // Nothing was delivered: no worker runs in this process.
    assert_eq!(metrics["voicepin_mail_deliveries_total{result=\"sent\"}"], 0.0);
    let route = "voicepin_http_requests_total{route=\"/api/v1/voice-access/sign-in\",method=\"POST\",status=\"200\"}";
    assert_eq!(metrics[route], 16.0, "{}", reply.text);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let api = TestApi::empty().await;
    let reply = api.call(Method::GET, "/healthz", None, None).await;
    let id = reply.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 32, "{id}");
    let request = axum::http::Request::builder()
        .uri("/healthz")
        .header("x-request-id", "lb-7f3a.1")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(api.send(request).await.headers["x-request-id"], "lb-7f3a.1");
}
