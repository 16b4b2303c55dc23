//! Problem details for bad input, authentication, methods and paths.

use axum::http::{Method, StatusCode};
use serde_json::json;
use voicepin_core::access::Role;

use crate::support::{TestApi, token};

fn admin() -> String {
    token(Role::OrganizationManagement)
}

#[tokio::test]
async fn wrong_types_are_400_naming_the_property() {
    let api = TestApi::seeded().await;
    let reply = api
        .call(
            Method::PATCH,
            "/api/v1/policies/Main%20Default%20Policy",
            Some(&admin()),
            Some(json!({"minPinLength": "six"})),
        )
        .await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-body");
    assert_eq!(reply.json["field"], "minPinLength");
    assert!(!reply.text.contains("six"), "the value is not echoed: {}", reply.text);

    let reply = api
        .call(
            Method::POST,
            "/api/v1/dial-plans",
            Some(&admin()),
            Some(json!({"name": "X", "numberOfDigitsInExtension": -3})),
        )
        .await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-body");
    assert_eq!(reply.json["field"], "numberOfDigitsInExtension");

    let reply = api
        .call(
            Method::PATCH,
            "/api/v1/mailboxes/alice@example.com",
            Some(&admin()),
            Some(json!({"extensions": "12345"})),
        )
        .await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-body");
    assert_eq!(reply.json["field"], "extensions");

    let reply = api
        .call(Method::POST, "/api/v1/dial-plans", Some(&admin()), Some(json!({"numberOfDigitsInExtension": 4})))
        .await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-body");
    assert_eq!(reply.json["field"], "name");

    let reply = api.call(Method::POST, "/api/v1/dial-plans", Some(&admin()), Some(json!(["name"]))).await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-body");
}

#[tokio::test]
async fn out_of_range_values_are_422_with_field_and_allowed() {
    let api = TestApi::seeded().await;
    let cases = [
        ("/api/v1/policies/Main%20Default%20Policy", json!({"minPinLength": 3}), "minPinLength", "4"),
        ("/api/v1/policies/Main%20Default%20Policy", json!({"pinLifetime": 1000}), "pinLifetime", "unlimited"),
        ("/api/v1/policies/Main%20Default%20Policy", json!({"pinLifetime": "forever"}), "pinLifetime", "unlimited"),
        (
            "/api/v1/policies/Main%20Default%20Policy",
            json!({"logonFailuresBeforePinReset": 0}),
            "logonFailuresBeforePinReset",
            "998",
        ),
        ("/api/v1/policies/Main%20Default%20Policy", json!({"maxLogonAttempts": 1000}), "maxLogonAttempts", "999"),
        (
            "/api/v1/dial-plans/Main",
            json!({"logonFailuresBeforeDisconnect": 21}),
            "logonFailuresBeforeDisconnect",
            "20",
        ),
        ("/api/v1/mailboxes/alice@example.com", json!({"extensions": ["123"]}), "extensions", "5"),
        ("/api/v1/mailboxes/alice@example.com", json!({"phoneNumbers": ["call me"]}), "phoneNumbers", ""),
    ];
    for (uri, body, field, in_allowed) in cases {
        let reply = api.call(Method::PATCH, uri, Some(&admin()), Some(body.clone())).await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
        assert_eq!(reply.json["field"], field, "{body}: {}", reply.text);
        assert!(reply.json["allowed"].as_str().unwrap().contains(in_allowed), "{body}: {}", reply.text);
        // The machine-readable members a client words its message from: Exchange's name of
        // the field and the value refused, as given.
        let parameter = reply.json["parameter"].as_str().unwrap();
        assert_eq!(voicepin_core::naming::camel_case(parameter), field, "{}", reply.text);
        assert!(reply.json["value"].is_string(), "{}", reply.text);
    }
    // Either unlimited setting also takes "unlimited" and a number.
    let reply = api
        .call(
            Method::PATCH,
            "/api/v1/policies/Main%20Default%20Policy",
            Some(&admin()),
            Some(json!({"pinLifetime": "unlimited", "logonFailuresBeforePinReset": 3})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["pinLifetime"], "unlimited");
    assert_eq!(reply.json["logonFailuresBeforePinReset"], 3);
}

#[tokio::test]
async fn query_values_are_checked() {
    let api = TestApi::seeded().await;
    let reply = api.call(Method::GET, "/api/v1/mailboxes?limit=0", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    assert_eq!(reply.json["field"], "limit");
    assert_eq!(reply.json["allowed"], "1 to 1000");
    let reply = api.call(Method::GET, "/api/v1/mailboxes?limit=1001", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    let reply = api.call(Method::GET, "/api/v1/mailboxes?limit=many", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-query");
    let reply = api.call(Method::GET, "/api/v1/mailboxes?colour=blue", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid-query");
    let reply = api.call(Method::GET, "/api/v1/audit-events?since=yesterday", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    assert_eq!(reply.json["field"], "since");
    let reply = api.call(Method::GET, "/api/v1/audit-events?until=2999-01-01T00:00:00Z", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    assert_eq!(reply.json["field"], "until");
    let reply = api.call(Method::GET, "/api/v1/audit-events?action=pinStolen", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    assert!(reply.json["allowed"].as_str().unwrap().contains("pinSet"));
}

#[tokio::test]
async fn unknown_properties_are_refused_by_name() {
    let api = TestApi::seeded().await;
    let reply = api
        .call(
            Method::PATCH,
            "/api/v1/mailboxes/alice@example.com",
            Some(&admin()),
            Some(json!({"displayName": "A", "isAdmin": true})),
        )
        .await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "unknown-field");
    assert_eq!(reply.json["field"], "isAdmin");
    let reply = api
        .call(
            Method::POST,
            "/api/v1/policies",
            Some(&admin()),
            Some(json!({"name": "P", "umDialPlan": "Main", "minPINLength": 6})),
        )
        .await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "unknown-field");
    assert_eq!(reply.json["field"], "minPINLength");
}

#[tokio::test]
async fn malformed_json_and_other_media_types() {
    let api = TestApi::seeded().await;
    let uri = "/api/v1/dial-plans";
    for body in ["{", "{\"name\": }", "not json", "", "{\"name\": \"A\"} trailing"] {
        let reply = api.raw(Method::POST, uri, Some(&admin()), Some(body), Some("application/json")).await;
        reply.assert_problem(StatusCode::BAD_REQUEST, "malformed-json");
    }
    let reply =
        api.raw(Method::POST, uri, Some(&admin()), Some("name=A"), Some("application/x-www-form-urlencoded")).await;
    reply.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    let reply = api.raw(Method::POST, uri, Some(&admin()), Some("{}"), None).await;
    reply.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    let body = json!({"name": "A", "numberOfDigitsInExtension": 4}).to_string();
    let reply = api.raw(Method::POST, uri, Some(&admin()), Some(&body), Some("application/json; charset=utf-8")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let api = TestApi::seeded().await;
    let big = json!({"name": "A", "accessTelephoneNumbers": vec!["+15550100"; 8000]}).to_string();
    assert!(big.len() > 64 * 1024);
    let reply = api.raw(Method::POST, "/api/v1/dial-plans", Some(&admin()), Some(&big), Some("application/json")).await;
    reply.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
}

#[tokio::test]
async fn unknown_methods_are_405_with_allow() {
    let api = TestApi::seeded().await;
    for (method, uri, allowed) in [
        (Method::PUT, "/api/v1/mailboxes", ["GET", "POST"].as_slice()),
        (Method::POST, "/api/v1/mailboxes/alice@example.com", &["GET", "PATCH", "DELETE"]),
        (Method::DELETE, "/api/v1/mailboxes/alice@example.com/pin", &["GET", "PUT"]),
        (Method::GET, "/api/v1/voice-access/sign-in", &["POST"]),
        (Method::PATCH, "/api/v1/audit-events", &["GET"]),
    ] {
        let reply = api.call(method.clone(), uri, Some(&admin()), None).await;
        reply.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
        let allow = reply.headers["allow"].to_str().unwrap().to_owned();
        for method in allowed {
            assert!(allow.split(',').any(|m| m.trim() == *method), "{uri}: Allow: {allow}");
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_404_problems() {
    let api = TestApi::seeded().await;
    // ("/" leads to the admin center.)
    for uri in ["/api/v1/nothing", "/api/v2/mailboxes", "/api/v1/mailboxes/a/b/c"] {
        let reply = api.call(Method::GET, uri, Some(&admin()), None).await;
        reply.assert_problem(StatusCode::NOT_FOUND, "no-such-route");
    }
}

#[tokio::test]
async fn core_errors_map_to_statuses() {
    let api = TestApi::seeded().await;
    let reply = api.call(Method::GET, "/api/v1/mailboxes/nobody@example.com", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::NOT_FOUND, "not-found");
    let reply = api
        .call(
            Method::POST,
            "/api/v1/dial-plans",
            Some(&admin()),
            Some(json!({"name": "Main", "numberOfDigitsInExtension": 5})),
        )
        .await;
    reply.assert_problem(StatusCode::CONFLICT, "already-exists");
    let reply = api.call(Method::DELETE, "/api/v1/dial-plans/Main", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::CONFLICT, "in-use");
    let reply = api.call(Method::DELETE, "/api/v1/mailboxes/alice@example.com", Some(&admin()), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = api.call(Method::POST, "/api/v1/mailboxes/alice@example.com/lock", Some(&admin()), None).await;
    reply.assert_problem(StatusCode::CONFLICT, "not-um-enabled");
    let reply =
        api.call(Method::PUT, "/api/v1/mailboxes/12345/pin", Some(&admin()), Some(json!({"pin": "1234"}))).await;
    assert!(reply.status.is_client_error(), "{}", reply.text);
}

#[tokio::test]
async fn rejected_pins_list_the_violations() {
    let api = TestApi::seeded().await;
    let reply = api
        .call(Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", Some(&admin()), Some(json!({"pin": "1111"})))
        .await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "pin-rejected");
    let violations: Vec<&str> =
        reply.json["violations"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(violations.contains(&"too-short") && violations.contains(&"same-digit"), "{violations:?}");
    assert_eq!(reply.json["field"], "pin");
    // One reason for people per rule, in the same order; never the PIN itself.
    let reasons = reply.json["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), violations.len(), "{}", reply.text);
    assert!(reasons[0].as_str().unwrap().contains("at least 6 digits"), "{}", reply.text);
    assert!(!reply.text.contains("\"1111\""), "{}", reply.text);
}
