//! Password sign-in and browser sessions: the cookie, the one-time password that must be
//! changed first, CSRF on unsafe methods, sign-out, rate limits, and bad input.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use voicepin_core::access::Role;

use crate::support::{TestApi, token};

const NEW_PASSWORD: &str = "a long new passphrase";

#[tokio::test]
async fn a_one_time_password_signs_in_and_must_be_changed_first() {
    let api = TestApi::seeded().await;
    let one_time = api.account("jane", Role::OrganizationManagement).await;
    let (reply, cookie) = api.sign_in("Jane", &one_time).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let set_cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("; HttpOnly; SameSite=Strict; Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http, no public https URL: {set_cookie}");
    let cookie = cookie.unwrap();
    assert_eq!(reply.json["name"], "jane");
    assert_eq!(reply.json["role"], "organizationManagement");
    assert_eq!(reply.json["mustChangePassword"], true);
    assert!(reply.json["expiresAt"].is_string());
    assert!(!reply.text.contains(&one_time) && !reply.text.contains(&cookie));
    let csrf = reply.json["csrfToken"].as_str().unwrap().to_owned();

    // Only the password change and the session itself until the password is changed.
    let refused = api.with_cookie(Method::GET, "/api/v1/mailboxes", &cookie, None, None).await;
    refused.assert_problem(StatusCode::FORBIDDEN, "password-change-required");
    let current = api.with_cookie(Method::GET, "/api/v1/sessions/current", &cookie, None, None).await;
    assert_eq!((current.status, &current.json["csrfToken"]), (StatusCode::OK, &json!(csrf)));
    let change = json!({"currentPassword": one_time, "newPassword": NEW_PASSWORD});
    let reply = api.with_cookie(Method::PUT, "/api/v1/account/password", &cookie, None, Some(change.clone())).await;
    reply.assert_problem(StatusCode::FORBIDDEN, "csrf-token-invalid");
    let short = json!({"currentPassword": one_time, "newPassword": "short"});
    let reply = api.with_cookie(Method::PUT, "/api/v1/account/password", &cookie, Some(&csrf), Some(short)).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    assert_eq!(reply.json["field"], "newPassword");
    let wrong = json!({"currentPassword": "not it at all", "newPassword": NEW_PASSWORD});
    let reply = api.with_cookie(Method::PUT, "/api/v1/account/password", &cookie, Some(&csrf), Some(wrong)).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "authentication-failed");
    let reply = api.with_cookie(Method::PUT, "/api/v1/account/password", &cookie, Some(&csrf), Some(change)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // Issue 11, finding 13: the session id and CSRF token rotate with the password.
    let (old_cookie, old_csrf) = (cookie, csrf);
    let cookie = new_cookie(&reply);
    let csrf = reply.json["csrfToken"].as_str().unwrap().to_owned();
    assert_ne!(cookie, old_cookie);
    assert_ne!(csrf, old_csrf);
    assert_eq!(reply.json["mustChangePassword"], false);
    let stale = api.with_cookie(Method::GET, "/api/v1/sessions/current", &old_cookie, None, None).await;
    stale.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Now everything the role allows, with the CSRF token on unsafe methods.
    let list = api.with_cookie(Method::GET, "/api/v1/mailboxes", &cookie, None, None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let plan = json!({"name": "Branch", "numberOfDigitsInExtension": 4});
    let reply = api.with_cookie(Method::POST, "/api/v1/dial-plans", &cookie, None, Some(plan.clone())).await;
    reply.assert_problem(StatusCode::FORBIDDEN, "csrf-token-invalid");
    let reply = api.with_cookie(Method::POST, "/api/v1/dial-plans", &cookie, Some("forged"), Some(plan.clone())).await;
    reply.assert_problem(StatusCode::FORBIDDEN, "csrf-token-invalid");
    let reply = api.with_cookie(Method::POST, "/api/v1/dial-plans", &cookie, Some(&csrf), Some(plan)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let admin = token(Role::OrganizationManagement);
    let events = api.call(Method::GET, "/api/v1/audit-events?action=dialPlanCreated", Some(&admin), None).await;
    assert_eq!((&events.json[0]["actor"], &events.json[0]["channel"]), (&json!("jane"), &json!("web")));
    assert_eq!(events.json[0]["source"], "203.0.113.7");

    // Signed out: the cookie is cleared and no longer works.
    let reply = api.with_cookie(Method::DELETE, "/api/v1/sessions/current", &cookie, None, None).await;
    reply.assert_problem(StatusCode::FORBIDDEN, "csrf-token-invalid");
    let reply = api.with_cookie(Method::DELETE, "/api/v1/sessions/current", &cookie, Some(&csrf), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let reply = api.with_cookie(Method::GET, "/api/v1/sessions/current", &cookie, None, None).await;
    reply.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // The one-time password is spent; the new one signs in.
    assert_eq!(api.sign_in("jane", &one_time).await.0.status, StatusCode::UNAUTHORIZED);
    let (reply, _) = api.sign_in("jane", NEW_PASSWORD).await;
    assert_eq!((reply.status, &reply.json["mustChangePassword"]), (StatusCode::CREATED, &json!(false)));
}

#[tokio::test]
async fn a_session_has_its_accounts_role() {
    let api = TestApi::seeded().await;
    let one_time = api.account("helen", Role::HelpDesk).await;
    let (reply, cookie) = api.sign_in("helen", &one_time).await;
    let cookie = cookie.unwrap();
    let csrf = reply.json["csrfToken"].as_str().unwrap().to_owned();
    let change = json!({"currentPassword": one_time, "newPassword": NEW_PASSWORD});
    let reply = api.with_cookie(Method::PUT, "/api/v1/account/password", &cookie, Some(&csrf), Some(change)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let (cookie, csrf) = (new_cookie(&reply), reply.json["csrfToken"].as_str().unwrap().to_owned());
    let plan = json!({"name": "Branch", "numberOfDigitsInExtension": 4});
    let reply = api.with_cookie(Method::POST, "/api/v1/dial-plans", &cookie, Some(&csrf), Some(plan)).await;
    reply.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let reply = api.with_cookie(Method::GET, "/api/v1/admin-accounts", &cookie, None, None).await;
    reply.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let reply =
        api.with_cookie(Method::POST, "/api/v1/mailboxes/alice@example.com/unlock", &cookie, Some(&csrf), None).await;
    assert!(reply.status.is_success(), "{}", reply.text);
    // Session endpoints need a session, not a token.
    let reply = api.call(Method::GET, "/api/v1/sessions/current", Some(&token(Role::HelpDesk)), None).await;
    reply.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // A garbage cookie is not a session.
    let reply = api.with_cookie(Method::GET, "/api/v1/mailboxes", "vps_garbage", None, None).await;
    reply.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn failures_look_alike_and_are_rate_limited() {
    let api = TestApi::seeded().await;
    let one_time = api.account("jane", Role::ViewOnly).await;
    // Wrong password and unknown account: the same answer, without the password.
    for name in ["jane", "nobody"] {
        let (reply, cookie) = api.sign_in(name, "a wrong password").await;
        reply.assert_problem(StatusCode::UNAUTHORIZED, "authentication-failed");
        assert!(cookie.is_none() && !reply.text.contains("a wrong password"));
    }
    // Five attempts a minute for one account; the sixth waits, even with the right password.
    for _ in 0..4 {
        api.sign_in("JANE", "a wrong password")
            .await
            .0
            .assert_problem(StatusCode::UNAUTHORIZED, "authentication-failed");
    }
    let (reply, _) = api.sign_in("jane", &one_time).await;
    reply.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let wait: u64 = reply.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    // Ten a minute from one address, whatever the names.
    for i in 0..4 {
        let (reply, _) = api.sign_in(&format!("spray{i}"), "a wrong password").await;
        reply.assert_problem(StatusCode::UNAUTHORIZED, "authentication-failed");
    }
    api.sign_in("spray9", "a wrong password").await.0.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    // The audit log has every counted attempt, never a password.
    let admin = token(Role::OrganizationManagement);
    let events = api.call(Method::GET, "/api/v1/audit-events?action=accountSignInFailed", Some(&admin), None).await;
    assert_eq!(events.json.as_array().unwrap().len(), 10, "{}", events.text);
    assert!(!events.text.contains("a wrong password"));
    // Five wrong passwords locked the account (the store's lockout).
    let account = api.call(Method::GET, "/api/v1/admin-accounts/jane", Some(&admin), None).await;
    assert!(account.json["lockedUntil"].is_string(), "{}", account.text);
}

#[tokio::test]
async fn bad_sign_in_bodies_are_refused_without_echo() {
    let api = TestApi::empty().await;
    let cases = [
        (json!({"name": "jane", "password": 123456789012_u64}), StatusCode::BAD_REQUEST, "invalid-body"),
        (json!({"name": "jane"}), StatusCode::BAD_REQUEST, "invalid-body"),
        (
            json!({"name": "jane", "password": "secret-secret", "remember": true}),
            StatusCode::BAD_REQUEST,
            "unknown-field",
        ),
        (json!(["jane", "secret-secret"]), StatusCode::BAD_REQUEST, "invalid-body"),
    ];
    for (body, status, code) in cases {
        let reply = api.call(Method::POST, "/api/v1/sessions", None, Some(body)).await;
        reply.assert_problem(status, code);
        assert!(!reply.text.contains("123456789012") && !reply.text.contains("secret-secret"), "{}", reply.text);
    }
    let reply =
        api.raw(Method::POST, "/api/v1/sessions", None, Some("{\"name\": \"x\", "), Some("application/json")).await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "malformed-json");
}

#[tokio::test]
async fn secrets_are_only_in_the_creating_response() {
    let api = TestApi::seeded().await;
    let admin = token(Role::OrganizationManagement);
    let created = api
        .call(Method::POST, "/api/v1/admin-accounts", Some(&admin), Some(json!({"name": "jane", "role": "viewOnly"})))
        .await;
    let password = created.json["oneTimePassword"].as_str().unwrap().to_owned();
    assert_eq!(created.json["account"]["mustChangePassword"], true);
    let reset = api.call(Method::POST, "/api/v1/admin-accounts/jane/reset-password", Some(&admin), None).await;
    let second = reset.json["oneTimePassword"].as_str().unwrap().to_owned();
    assert_ne!(password, second);
    let token_reply = api
        .call(Method::POST, "/api/v1/api-tokens", Some(&admin), Some(json!({"name": "script", "role": "helpDesk"})))
        .await;
    let secret = token_reply.json["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("vpt_"));
    assert_eq!(token_reply.json["apiToken"]["name"], "script");
    for uri in ["/api/v1/admin-accounts", "/api/v1/admin-accounts/jane", "/api/v1/api-tokens", "/api/v1/audit-events"] {
        for role in [Role::OrganizationManagement, Role::ViewOnly] {
            let reply = api.call(Method::GET, uri, Some(&token(role)), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text);
            for leaked in [&password, &second, &secret] {
                assert!(!reply.text.contains(leaked.as_str()), "{uri} shows a secret");
            }
            assert!(!reply.text.contains("argon2"), "{uri} shows a hash");
        }
    }
    // The last Organization Management account cannot go; bad roles name the allowed ones.
    let reply = api
        .call(Method::POST, "/api/v1/admin-accounts", Some(&admin), Some(json!({"name": "x", "role": "root"})))
        .await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    assert_eq!(reply.json["field"], "role");
    assert!(reply.json["allowed"].as_str().unwrap().contains("helpDesk"));
    let reply = api
        .call(
            Method::POST,
            "/api/v1/api-tokens",
            Some(&admin),
            Some(json!({"name": "y", "role": "helpDesk", "expiresInDays": 0})),
        )
        .await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    api.account("root", Role::OrganizationManagement).await;
    let reply = api.call(Method::DELETE, "/api/v1/admin-accounts/root", Some(&admin), None).await;
    reply.assert_problem(StatusCode::CONFLICT, "last-administrator");
    let reply =
        api.call(Method::PATCH, "/api/v1/admin-accounts/root", Some(&admin), Some(json!({"disabled": true}))).await;
    reply.assert_problem(StatusCode::CONFLICT, "last-administrator");
    api.account("root2", Role::OrganizationManagement).await;
    let reply = api.call(Method::DELETE, "/api/v1/admin-accounts/root", Some(&admin), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let reply = api.call(Method::GET, "/api/v1/admin-accounts/root", Some(&admin), None).await;
    reply.assert_problem(StatusCode::NOT_FOUND, "not-found");
}

/// The session cookie a reply sets.
pub(crate) fn new_cookie(reply: &crate::support::Reply) -> String {
    let set = reply.headers[header::SET_COOKIE].to_str().unwrap();
    set.strip_prefix("voicepin_session=").unwrap().split(';').next().unwrap().to_owned()
}

/// Issue 11, finding 7: a token made without a lifetime gets the default (90 days), "never"
/// must be asked for (`neverExpires`), and the listing names who made each one.
#[tokio::test]
async fn tokens_expire_by_default_and_never_only_when_asked() {
    let api = TestApi::seeded().await;
    let admin = token(Role::OrganizationManagement);
    let uri = "/api/v1/api-tokens";
    let create = |body| api.call(Method::POST, uri, Some(&admin), Some(body));
    let plain = create(json!({"name": "plain", "role": "helpDesk"})).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.text);
    assert!(plain.json["apiToken"]["expirationTime"].is_string(), "{}", plain.text);
    assert_eq!(plain.json["apiToken"]["createdBy"], crate::support::principal_name(Role::OrganizationManagement));
    let forever = create(json!({"name": "forever", "role": "helpDesk", "neverExpires": true})).await;
    assert_eq!(forever.status, StatusCode::CREATED, "{}", forever.text);
    assert!(forever.json["apiToken"]["expirationTime"].is_null(), "{}", forever.text);
    let both = create(json!({"name": "both", "role": "helpDesk", "neverExpires": true, "expiresInDays": 5})).await;
    both.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-value");
    let listed = api.call(Method::GET, uri, Some(&admin), None).await;
    assert!(listed.text.contains("\"createdBy\""), "{}", listed.text);
}
