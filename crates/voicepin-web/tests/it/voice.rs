//! The sign-in endpoint for PBXs.

use axum::http::{Method, StatusCode};
use serde_json::json;
use voicepin_core::access::Role;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use voicepin_core::ports::Pause;
use voicepin_core::throttle::{Limit, SignInSettings, ThrottlePolicy};

use crate::support::{ALICE_PIN, SECOND_PBX, TestApi, token};

/// The core's waits on tokio's timer, as the binary wires them.
struct TokioPause;

#[async_trait::async_trait]
impl Pause for TokioPause {
    async fn until(&self, at: time::OffsetDateTime) {
        if let Ok(wait) = std::time::Duration::try_from(at - time::OffsetDateTime::now_utc()) {
            tokio::time::sleep(wait).await;
        }
    }
}

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
    let settings = SignInSettings { failed_answer: floor, throttle: ThrottlePolicy::off() };
    let api = TestApi::seeded_with(|state| {
        state.voicepin = state.voicepin.clone().with_sign_in(settings, Arc::new(TokioPause));
    })
    .await;
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

/// A voice sign-in with `token` from `peer`.
async fn sign_in_from(api: &TestApi, token: &str, peer: [u8; 4], body: serde_json::Value) -> String {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/voice-access/sign-in")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .extension(ConnectInfo(SocketAddr::from((peer, 5060))))
        .body(Body::from(body.to_string()))
        .unwrap();
    let reply = api.send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["outcome"].as_str().unwrap().to_owned()
}

/// Issue 11, finding 4, the probe: one Voice Service token made 416 sign-in attempts across
/// 208 extensions, all answered. Now failures count per source across mailboxes (here with
/// the service's default limits and no delays, to keep the test quick): the token and its
/// address are refused after 200 failures, answered `failed` as any failure is (even with
/// alice's right PIN), the audit log and `/metrics` say so, and another PBX from another
/// address still signs alice in.
#[tokio::test]
async fn a_pin_spray_from_one_token_is_throttled_and_another_source_is_not() {
    let throttle = ThrottlePolicy {
        first_delay: std::time::Duration::ZERO,
        max_delay: std::time::Duration::ZERO,
        ..ThrottlePolicy::default()
    };
    assert_eq!(throttle.address, Limit { delay_after: 50, refuse_after: 200 });
    let settings = SignInSettings { failed_answer: std::time::Duration::ZERO, throttle };
    let api = TestApi::seeded_with(|state| {
        state.voicepin = state.voicepin.clone().with_sign_in(settings, Arc::new(TokioPause));
    })
    .await;
    let probe = [192, 0, 2, 66];
    for attempt in 0..416 {
        let extension = format!("{}", 12_300 + attempt % 208);
        let body = json!({"extension": extension, "pin": "90210999", "callerId": format!("+1425555{attempt:04}")});
        assert_eq!(sign_in_from(&api, &voice(), probe, body).await, "failed");
    }
    let right = json!({"extension": "12345", "pin": ALICE_PIN});
    assert_eq!(sign_in_from(&api, &voice(), probe, right.clone()).await, "failed", "refused, answered as failed");
    assert_eq!(sign_in_from(&api, SECOND_PBX, [198, 51, 100, 20], right).await, "success");

    let admin = token(Role::OrganizationManagement);
    let metrics = api.call(Method::GET, "/metrics", Some(&admin), None).await.text;
    let refused = metrics.lines().find(|l| {
        l.starts_with("voicepin_sign_ins_throttled_total{") && l.contains("verdict=\"refused\"") && !l.ends_with(" 0")
    });
    assert!(refused.is_some(), "{metrics}");
    let audit = api.call(Method::GET, "/api/v1/audit-events?action=sourceThrottled", Some(&admin), None).await;
    let text = audit.text;
    assert!(text.contains("address:192.0.2.66") && text.contains("refused"), "{text}");
    assert!(
        text.contains(&format!("callingSystem:{}", crate::support::principal_name(Role::VoiceService).to_lowercase())),
        "{text}"
    );
}
