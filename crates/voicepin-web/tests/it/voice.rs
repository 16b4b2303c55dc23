//! The sign-in endpoint for PBXs.

use axum::http::{Method, StatusCode};
use serde_json::json;
use voicepin_core::access::Role;

use crate::support::{ALICE_PIN, TestApi, token};

fn voice() -> String {
    token(Role::VoiceService)
}

#[tokio::test]
async fn the_three_outcomes_are_200() {
    let api = TestApi::seeded().await;
    let uri = "/api/v1/voice-access/sign-in";
    let reply = api
        .call(
            Method::POST,
            uri,
            Some(&voice()),
            Some(
                json!({"extension": "12345", "pin": ALICE_PIN, "callerId": "+15550100", "callingSystem": "asterisk-1"}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json, json!({"outcome": "success"}));

    let reply = api
        .call(
            Method::POST,
            uri,
            Some(&voice()),
            Some(json!({"identity": "alice@example.com", "pin": "99999999", "dialPlan": "Main"})),
        )
        .await;
    assert_eq!(reply.json, json!({"outcome": "failed"}), "{}", reply.text);
    let reply =
        api.call(Method::POST, uri, Some(&voice()), Some(json!({"extension": "99999", "pin": ALICE_PIN}))).await;
    assert_eq!(reply.json, json!({"outcome": "failed"}), "{}", reply.text);

    // An administrator's reset expires the PIN: the next sign-in must change it.
    let reply = api
        .call(
            Method::PUT,
            "/api/v1/mailboxes/alice@example.com/pin",
            Some(&token(Role::HelpDesk)),
            Some(json!({"pin": "27182818", "sendEmail": false})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply =
        api.call(Method::POST, uri, Some(&voice()), Some(json!({"extension": "12345", "pin": "27182818"}))).await;
    assert_eq!(reply.json, json!({"outcome": "pinChangeRequired"}), "{}", reply.text);

    // The attempts are audited with the PBX's address, name and caller ID.
    let reply = api
        .call(
            Method::GET,
            "/api/v1/audit-events?action=signInSucceeded",
            Some(&token(Role::OrganizationManagement)),
            None,
        )
        .await;
    let events = reply.json.as_array().unwrap();
    assert!(!events.is_empty(), "{}", reply.text);
    let last = events.last().unwrap();
    assert_eq!(last["source"], "203.0.113.7 system=asterisk-1 callerId=+15550100");
    assert_eq!(last["actor"], "voiceService-admin");

    // And counted.
    let metrics = api.call(Method::GET, "/metrics", Some(&token(Role::ViewOnly)), None).await.text;
    assert!(metrics.contains("voicepin_sign_ins_total{outcome=\"success\"} 1"), "{metrics}");
    assert!(metrics.contains("voicepin_sign_ins_total{outcome=\"failed\"} 2"), "{metrics}");
    assert!(metrics.contains("voicepin_sign_ins_total{outcome=\"pinChangeRequired\"} 1"), "{metrics}");
}

#[tokio::test]
async fn exactly_one_of_extension_and_identity() {
    let api = TestApi::seeded().await;
    let uri = "/api/v1/voice-access/sign-in";
    for body in
        [json!({"pin": ALICE_PIN}), json!({"extension": "12345", "identity": "alice@example.com", "pin": ALICE_PIN})]
    {
        let reply = api.call(Method::POST, uri, Some(&voice()), Some(body)).await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
        assert_eq!(reply.json["field"], "identity");
    }
    let reply = api.call(Method::POST, uri, Some(&voice()), Some(json!({"extension": "12345"}))).await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-body");
    assert_eq!(reply.json["field"], "pin");
}

/// Issue 11, finding 5: the answer that triggers an automatic reset (the fifth wrong PIN)
/// did more work than an unknown extension's, and its time told that the extension exists.
/// Every failed answer now leaves after the same floor.
#[tokio::test]
async fn every_failed_answer_takes_the_same_time() {
    let floor = std::time::Duration::from_millis(400);
    let api = TestApi::seeded_with(|state| state.failed_sign_in_answer = floor).await;
    let uri = "/api/v1/voice-access/sign-in";
    let mut times = Vec::new();
    for (extension, _) in (0..5).map(|n| ("12345", n)).chain([("99999", 0)]) {
        let started = std::time::Instant::now();
        let reply =
            api.call(Method::POST, uri, Some(&voice()), Some(json!({"extension": extension, "pin": "90210999"}))).await;
        times.push(started.elapsed());
        assert_eq!(reply.json, json!({"outcome": "failed"}), "{}", reply.text);
    }
    // The fifth (the automatic reset) and the unknown extension: both at the floor.
    for time in &times {
        assert!(*time >= floor, "{times:?}");
    }
    let success = std::time::Instant::now();
    let reply = api.call(Method::POST, uri, Some(&voice()), Some(json!({"extension": "12345", "pin": "1"}))).await;
    assert_eq!(reply.json, json!({"outcome": "failed"}));
    assert!(success.elapsed() >= floor);
}

/// Issue 11, finding 9: caller-reported sources are checked before they reach the audit log.
#[tokio::test]
async fn forged_sources_are_refused() {
    let api = TestApi::seeded().await;
    let uri = "/api/v1/voice-access/sign-in";
    let long = "9".repeat(60_000);
    for (field, value) in [
        ("callerId", "+1555\n2026-01-01T00:00:00Z pin.set admin"),
        ("callerId", "\u{1b}[2J"),
        ("callerId", "alice\u{202e}"),
        ("callerId", long.as_str()),
        ("callingSystem", "pbx one"),
        ("callingSystem", "pbx\r\nforged"),
    ] {
        let body = json!({"extension": "12345", "pin": ALICE_PIN, field: value});
        let reply = api.call(Method::POST, uri, Some(&voice()), Some(body)).await;
        assert!(reply.status.is_client_error(), "{field}={value:?}: {}", reply.text);
        assert_eq!(reply.json["code"].as_str().map(|c| c.contains("invalid")), Some(true), "{}", reply.text);
    }
    let body = json!({"extension": "12345", "pin": ALICE_PIN, "callerId": "sip-alice.1", "callingSystem": "CUCM-1"});
    let reply = api.call(Method::POST, uri, Some(&voice()), Some(body)).await;
    assert_eq!(reply.json, json!({"outcome": "success"}), "{}", reply.text);
}

/// Issue 11, finding 5: `/metrics` on the API's address answers only a token or session;
/// `metrics_router` (for `http.metrics_listen`) serves it alone.
#[tokio::test]
async fn metrics_need_a_token_on_the_api_address() {
    let api = TestApi::seeded().await;
    let reply = api.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert!(!reply.text.contains("voicepin_pin_auto_resets_total"));
    let reply = api.call(Method::GET, "/metrics", Some(&token(Role::ViewOnly)), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text.contains("voicepin_pin_auto_resets_total"));
}
