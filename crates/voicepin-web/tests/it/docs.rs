//! The OpenAPI document, Swagger UI, health and metrics.

use axum::http::{Method, StatusCode};
use serde_json::json;
use voicepin_core::access::Role;

use crate::support::{TestApi, token};

#[tokio::test]
async fn the_openapi_document_lists_every_path() {
    let api = TestApi::empty().await;
    let reply = api.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = &reply.json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/mailboxes", ["get", "post"].as_slice()),
        ("/api/v1/mailboxes/{identity}", &["get", "patch", "delete"]),
        ("/api/v1/mailboxes/{identity}/pin", &["get", "put"]),
        ("/api/v1/mailboxes/{identity}/lock", &["post"]),
        ("/api/v1/mailboxes/{identity}/unlock", &["post"]),
        ("/api/v1/policies", &["get", "post"]),
        ("/api/v1/policies/{identity}", &["get", "patch", "delete"]),
        ("/api/v1/dial-plans", &["get", "post"]),
        ("/api/v1/dial-plans/{identity}", &["get", "patch", "delete"]),
        ("/api/v1/pins", &["get"]),
        ("/api/v1/audit-events", &["get"]),
        ("/api/v1/voice-access/sign-in", &["post"]),
        ("/api/v1/admin-accounts", &["get", "post"]),
        ("/api/v1/admin-accounts/{name}", &["get", "patch", "delete"]),
        ("/api/v1/admin-accounts/{name}/reset-password", &["post"]),
        ("/api/v1/api-tokens", &["get", "post"]),
        ("/api/v1/api-tokens/{identity}", &["delete"]),
    ] {
        for method in methods {
            let operation = &paths[path][*method];
            assert!(operation.is_object(), "{method} {path}");
            assert_eq!(operation["security"][0]["bearer"], serde_json::json!([]), "{method} {path}");
            // A session cookie works wherever a token does.
            assert_eq!(operation["security"][1]["session"], serde_json::json!([]), "{method} {path}");
        }
    }
    for (path, method) in [
        ("/api/v1/sessions/current", "get"),
        ("/api/v1/sessions/current", "delete"),
        ("/api/v1/account/password", "put"),
    ] {
        assert_eq!(paths[path][method]["security"][0]["session"], serde_json::json!([]), "{method} {path}");
    }
    assert!(paths["/api/v1/sessions"]["post"].is_object());
    assert_eq!(paths.len(), 20);
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let session = &doc["components"]["securitySchemes"]["session"];
    assert_eq!(
        (&session["type"], &session["in"], &session["name"]),
        (&json!("apiKey"), &json!("cookie"), &json!("voicepin_session"))
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Problem",
        "MailboxView",
        "EnableMailboxRequest",
        "PolicyView",
        "SignInRequest",
        "AdminAccountView",
        "OneTimePasswordResponse",
        "ApiTokenCreated",
        "PasswordSignInRequest",
        "SessionView",
        "ChangePasswordRequest",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    // Request bodies refuse unknown properties in the document too.
    let enable = &schemas["EnableMailboxRequest"];
    assert!(enable["properties"]["umMailboxPolicy"].is_object(), "{enable}");
    let query: Vec<&str> = paths["/api/v1/mailboxes"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(query, ["policy", "dialPlan", "search", "lockedOut", "pinExpired", "after", "limit"]);
}

/// The bounds the core enforces are in the document too, so a client (and schemathesis)
/// knows them before it is refused.
#[tokio::test]
async fn the_openapi_document_states_the_bounds_of_numbers_and_texts() {
    let api = TestApi::empty().await;
    let doc = api.call(Method::GET, "/api/openapi.json", None, None).await.json;
    let schemas = &doc["components"]["schemas"];
    let bounds = |schema: &str, property: &str| {
        let p = &schemas[schema]["properties"][property];
        (p["minimum"].as_u64(), p["maximum"].as_u64())
    };
    for schema in ["NewDialPlanRequest", "SetDialPlanRequest"] {
        assert_eq!(bounds(schema, "numberOfDigitsInExtension"), (Some(1), Some(20)), "{schema}");
        assert_eq!(bounds(schema, "logonFailuresBeforeDisconnect"), (Some(1), Some(20)), "{schema}");
        assert_eq!(bounds(schema, "inputFailuresBeforeDisconnect"), (Some(1), Some(20)), "{schema}");
    }
    for schema in ["NewPolicyRequest", "SetPolicyRequest"] {
        assert_eq!(bounds(schema, "minPinLength"), (Some(4), Some(24)), "{schema}");
        assert_eq!(bounds(schema, "pinHistoryCount"), (Some(1), Some(20)), "{schema}");
        assert_eq!(bounds(schema, "maxLogonAttempts"), (Some(1), Some(999)), "{schema}");
        assert_eq!(schemas[schema]["properties"]["resetPinText"]["maxLength"], 512, "{schema}");
        assert_eq!(schemas[schema]["properties"]["umEnabledText"]["maxLength"], 512, "{schema}");
    }
    for path in ["/api/v1/mailboxes", "/api/v1/audit-events"] {
        let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let limit = parameters.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!((limit["schema"]["minimum"].as_u64(), limit["schema"]["maximum"].as_u64()), (Some(1), Some(1000)));
    }
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let api = TestApi::empty().await;
    let reply = api.call(Method::GET, "/api/docs/", None, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.text.contains("swagger"), "{}", reply.text);
    let reply = api.call(Method::GET, "/api/docs/swagger-ui.css", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = api.call(Method::GET, "/api/docs/swagger-initializer.js", None, None).await;
    assert!(reply.text.contains("/api/openapi.json"), "{}", reply.text);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let api = TestApi::seeded().await;
    let reply = api.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((reply.status, reply.text.as_str()), (StatusCode::OK, "ok"));
    let reply = api.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    api.call(Method::GET, "/api/v1/mailboxes/alice@example.com", Some(&token(Role::ViewOnly)), None).await;
    api.call(Method::GET, "/api/v1/mailboxes/alice@example.com", None, None).await;
    let reply = api.call(Method::GET, "/metrics", Some(&token(Role::ViewOnly)), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("application/openmetrics-text"));
    let text = &reply.text;
    assert!(
        text.contains(
            r#"voicepin_http_requests_total{route="/api/v1/mailboxes/{identity}",method="GET",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"voicepin_http_requests_total{route="/api/v1/mailboxes/{identity}",method="GET",status="401"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"voicepin_http_requests_total{route="/api/v1/dial-plans",method="POST",status="201"} 1"#));
    assert!(text.contains("voicepin_http_request_duration_seconds_bucket{"), "{text}");
    assert!(!text.contains("alice@example.com"), "identities never become labels");
    assert!(text.trim_end().ends_with("# EOF"));
}
