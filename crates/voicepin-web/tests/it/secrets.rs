//! No response ever carries a PIN that was sent, whatever happens to the request.

use axum::http::{Method, StatusCode};
use serde_json::json;
use voicepin_core::access::Role;

use crate::support::{ALICE_PIN, TestApi, token};

#[tokio::test]
async fn no_response_contains_a_sent_pin() {
    let api = TestApi::seeded().await;
    let admin = token(Role::OrganizationManagement);
    let new_pin = "50739261";
    let weak_pin = "123456";
    let odd_pin = "9x7q5z3w";
    let mut replies = Vec::new();
    let calls = [
        (
            Method::POST,
            "/api/v1/mailboxes",
            json!({"identity": "bob@example.com", "umMailboxPolicy": "Main Default Policy", "extensions": ["22222"], "pin": new_pin}),
        ),
        (
            Method::POST,
            "/api/v1/mailboxes",
            json!({"identity": "carol@example.com", "umMailboxPolicy": "Main Default Policy", "extensions": ["33333"], "pin": weak_pin}),
        ),
        (
            Method::POST,
            "/api/v1/mailboxes",
            json!({"identity": "dave@example.com", "umMailboxPolicy": "Nope", "extensions": ["44444"], "pin": new_pin}),
        ),
        (
            Method::POST,
            "/api/v1/mailboxes",
            json!({"identity": "erin@example.com", "extensions": ["55555"], "pin": odd_pin, "validateOnly": true}),
        ),
        (Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", json!({"pin": new_pin, "sendEmail": false})),
        (Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", json!({"pin": weak_pin})),
        (Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", json!({"pin": odd_pin})),
        (Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", json!({"pin": 50739261})),
        (Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", json!({"pin": [odd_pin]})),
        (Method::PUT, "/api/v1/mailboxes/nobody@example.com/pin", json!({"pin": new_pin})),
        (Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", json!({"pin": new_pin, "pinn": odd_pin})),
        (Method::POST, "/api/v1/voice-access/sign-in", json!({"extension": "12345", "pin": ALICE_PIN})),
        (Method::POST, "/api/v1/voice-access/sign-in", json!({"extension": "12345", "pin": 48151623})),
        (
            Method::POST,
            "/api/v1/voice-access/sign-in",
            json!({"extension": "12345", "identity": "x", "pin": ALICE_PIN}),
        ),
        (Method::POST, "/api/v1/policies", json!({"name": ALICE_PIN, "umDialPlan": "Main", "minPinLength": odd_pin})),
    ];
    for (method, uri, body) in calls {
        for role in [Role::OrganizationManagement, Role::VoiceService, Role::HelpDesk] {
            replies.push(api.call(method.clone(), uri, Some(&token(role)), Some(body.clone())).await);
        }
    }
    // Bodies that are not JSON, with a PIN in them.
    let raw = format!("{{\"pin\": \"{new_pin}\", ");
    replies.push(
        api.raw(
            Method::PUT,
            "/api/v1/mailboxes/alice@example.com/pin",
            Some(&admin),
            Some(&raw),
            Some("application/json"),
        )
        .await,
    );
    let raw = format!("{{\"pin\": {odd_pin}}}");
    replies.push(
        api.raw(
            Method::PUT,
            "/api/v1/mailboxes/alice@example.com/pin",
            Some(&admin),
            Some(&raw),
            Some("application/json"),
        )
        .await,
    );
    // What the API shows afterwards.
    for uri in ["/api/v1/mailboxes", "/api/v1/mailboxes/alice@example.com/pin", "/api/v1/audit-events?limit=1000"] {
        replies.push(api.call(Method::GET, uri, Some(&admin), None).await);
    }
    replies.push(api.call(Method::GET, "/metrics", Some(&token(Role::ViewOnly)), None).await);

    assert!(replies.iter().any(|r| r.status == StatusCode::UNPROCESSABLE_ENTITY));
    assert!(replies.iter().any(|r| r.status == StatusCode::BAD_REQUEST));
    for reply in &replies {
        for pin in [new_pin, weak_pin, odd_pin, ALICE_PIN] {
            // The policy named after a PIN is the one place it may come back, and that is
            // a name, not a PIN; every other reply must not carry it.
            if pin == ALICE_PIN && reply.text.contains("\"name\"") {
                continue;
            }
            assert!(!reply.text.contains(pin), "a reply carries the PIN {pin}: {} {}", reply.status, reply.text);
            for value in reply.headers.values() {
                assert!(!value.to_str().unwrap_or("").contains(pin));
            }
        }
    }
}
