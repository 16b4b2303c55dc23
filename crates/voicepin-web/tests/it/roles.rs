//! Every role against every endpoint: the core's role table decides, through the API.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use voicepin_core::access::{Operation, Role};

use crate::support::{ALICE_PIN, TestApi, token};

/// One endpoint: its method, a URI on the seeded data, a body, and the operation it needs.
struct Endpoint {
    method: Method,
    uri: &'static str,
    body: Option<Value>,
    operation: Operation,
}

fn endpoint(method: Method, uri: &'static str, body: Option<Value>, operation: Operation) -> Endpoint {
    Endpoint { method, uri, body, operation }
}

fn endpoints() -> Vec<Endpoint> {
    use Operation::*;
    let mailbox = "/api/v1/mailboxes/alice@example.com";
    vec![
        endpoint(
            Method::POST,
            "/api/v1/mailboxes",
            Some(
                json!({"identity": "bob@example.com", "umMailboxPolicy": "Main Default Policy", "extensions": ["22222"]}),
            ),
            ManageMailboxes,
        ),
        endpoint(Method::GET, "/api/v1/mailboxes", None, ViewMailboxes),
        endpoint(Method::GET, mailbox, None, ViewMailboxes),
        endpoint(Method::PATCH, mailbox, Some(json!({"displayName": "Alice L."})), ManageMailboxes),
        endpoint(Method::DELETE, "/api/v1/mailboxes/alice@example.com?keepProperties=true", None, ManageMailboxes),
        endpoint(Method::GET, "/api/v1/mailboxes/alice@example.com/pin", None, ViewMailboxes),
        endpoint(Method::GET, "/api/v1/pins", None, ViewMailboxes),
        endpoint(Method::PUT, "/api/v1/mailboxes/alice@example.com/pin", Some(json!({"sendEmail": false})), ResetPins),
        endpoint(Method::POST, "/api/v1/mailboxes/alice@example.com/lock", None, LockMailboxes),
        endpoint(Method::POST, "/api/v1/mailboxes/alice@example.com/unlock", None, UnlockMailboxes),
        endpoint(Method::GET, "/api/v1/policies", None, ViewConfiguration),
        endpoint(
            Method::POST,
            "/api/v1/policies",
            Some(json!({"name": "Strict", "umDialPlan": "Main"})),
            ManagePolicies,
        ),
        endpoint(Method::GET, "/api/v1/policies/Main%20Default%20Policy", None, ViewConfiguration),
        endpoint(
            Method::PATCH,
            "/api/v1/policies/Main%20Default%20Policy",
            Some(json!({"minPinLength": 7})),
            ManagePolicies,
        ),
        endpoint(Method::DELETE, "/api/v1/policies/Main%20Default%20Policy", None, ManagePolicies),
        endpoint(Method::GET, "/api/v1/dial-plans", None, ViewConfiguration),
        endpoint(
            Method::POST,
            "/api/v1/dial-plans",
            Some(json!({"name": "Branch", "numberOfDigitsInExtension": 4})),
            ManageDialPlans,
        ),
        endpoint(Method::GET, "/api/v1/dial-plans/Main", None, ViewConfiguration),
        endpoint(
            Method::PATCH,
            "/api/v1/dial-plans/Main",
            Some(json!({"logonFailuresBeforeDisconnect": 4})),
            ManageDialPlans,
        ),
        endpoint(Method::DELETE, "/api/v1/dial-plans/Main", None, ManageDialPlans),
        endpoint(Method::GET, "/api/v1/audit-events", None, ViewAudit),
        endpoint(
            Method::POST,
            "/api/v1/voice-access/sign-in",
            Some(json!({"extension": "12345", "pin": ALICE_PIN, "callerId": "+15550100", "callingSystem": "asterisk"})),
            VoiceSignIn,
        ),
        endpoint(Method::GET, "/api/v1/admin-accounts", None, ViewAccounts),
        endpoint(
            Method::POST,
            "/api/v1/admin-accounts",
            Some(json!({"name": "carol", "role": "viewOnly"})),
            ManageAccounts,
        ),
        endpoint(Method::GET, "/api/v1/admin-accounts/bob", None, ViewAccounts),
        endpoint(Method::PATCH, "/api/v1/admin-accounts/bob", Some(json!({"role": "umManagement"})), ManageAccounts),
        endpoint(Method::DELETE, "/api/v1/admin-accounts/bob", None, ManageAccounts),
        endpoint(Method::POST, "/api/v1/admin-accounts/bob/reset-password", None, ManageAccounts),
        endpoint(Method::GET, "/api/v1/api-tokens", None, ViewAccounts),
        endpoint(
            Method::POST,
            "/api/v1/api-tokens",
            Some(json!({"name": "script", "role": "helpDesk", "expiresInDays": 30})),
            ManageAccounts,
        ),
        endpoint(Method::DELETE, "/api/v1/api-tokens/pbx1", None, ManageAccounts),
    ]
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let mut checked = 0;
    for endpoint in endpoints() {
        for role in Role::ALL {
            // A fresh API each time, so one allowed change does not hide the next check.
            let api = TestApi::seeded().await;
            let reply =
                api.call(endpoint.method.clone(), endpoint.uri, Some(&token(role)), endpoint.body.clone()).await;
            let what =
                format!("{} {} as {}: {} {}", endpoint.method, endpoint.uri, role.as_str(), reply.status, reply.text);
            if role.allows(endpoint.operation) {
                assert!(reply.status.is_success() || reply.status == StatusCode::CONFLICT, "{what}");
            } else {
                reply.assert_problem(StatusCode::FORBIDDEN, "forbidden");
                assert_eq!(reply.json["role"], role.as_str(), "{what}");
                assert_eq!(reply.json["operation"], endpoint.operation.as_str(), "{what}");
                let detail = reply.json["detail"].as_str().unwrap();
                assert!(detail.contains(role.display_name()) && detail.contains(endpoint.operation.as_str()), "{what}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 31 * 5);
}

#[tokio::test]
async fn every_endpoint_needs_a_token() {
    let api = TestApi::seeded().await;
    for endpoint in endpoints() {
        for bad in [None, Some("not-a-token")] {
            let reply = api.call(endpoint.method.clone(), endpoint.uri, bad, endpoint.body.clone()).await;
            reply.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
            assert_eq!(reply.headers["www-authenticate"], "Bearer", "{} {}", endpoint.method, endpoint.uri);
        }
    }
}

#[tokio::test]
async fn refused_changes_change_nothing() {
    let api = TestApi::seeded().await;
    let reply = api
        .call(
            Method::PATCH,
            "/api/v1/mailboxes/alice@example.com",
            Some(&token(Role::HelpDesk)),
            Some(json!({"displayName": "Mallory"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = api.call(Method::GET, "/api/v1/mailboxes/alice@example.com", Some(&token(Role::HelpDesk)), None).await;
    assert_eq!(reply.json["displayName"], "Alice Liddell");
}
