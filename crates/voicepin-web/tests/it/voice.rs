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
    let metrics = api.call(Method::GET, "/metrics", None, None).await.text;
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
