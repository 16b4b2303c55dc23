//! The admin center's pages: security headers, the sign-in redirect, CSRF on forms, the
//! Reset PIN form's rule list (never the PIN), 403 pages, and problem type pages.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use voicepin_core::access::Role;

use crate::support::{Reply, TestApi, token};

const PASSWORD: &str = "a long enough password";

/// A signed-in session of a new account with `role`: (cookie, CSRF token).
async fn session(api: &TestApi, name: &str, role: Role) -> (String, String) {
    let one_time = api.account(name, role).await;
    let (reply, cookie) = api.sign_in(name, &one_time).await;
    let cookie = cookie.unwrap();
    let csrf = reply.json["csrfToken"].as_str().unwrap().to_owned();
    let body = json!({"currentPassword": one_time, "newPassword": PASSWORD});
    let changed = api.with_cookie(Method::PUT, "/api/v1/account/password", &cookie, Some(&csrf), Some(body)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    // The password change rotates the session (cookie and CSRF token).
    (crate::sessions::new_cookie(&changed), changed.json["csrfToken"].as_str().unwrap().to_owned())
}

async fn page(api: &TestApi, uri: &str, cookie: &str) -> Reply {
    let request = Request::builder()
        .uri(uri)
        .header(header::COOKIE, format!("voicepin_session={cookie}"))
        .body(Body::empty())
        .unwrap();
    api.send(request).await
}

async fn post_form(api: &TestApi, uri: &str, cookie: &str, form: &str) -> Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, format!("voicepin_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    api.send(request).await
}

async fn alice_id(api: &TestApi) -> String {
    let admin = token(Role::OrganizationManagement);
    let reply = api.call(Method::GET, "/api/v1/mailboxes/alice@example.com", Some(&admin), None).await;
    reply.json["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_page_sends_a_strict_csp_and_no_store() {
    let api = TestApi::empty().await;
    let reply = api.call(Method::GET, "/admin/sign-in", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "text/html; charset=utf-8");
    let csp = reply.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    assert!(!reply.text.contains("<script"), "a page carries script");
    let css = api.call(Method::GET, "/assets/admin.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type().starts_with("text/css"));
}

#[tokio::test]
async fn admin_pages_send_strangers_to_the_sign_in_page() {
    let api = TestApi::empty().await;
    let reply = api.call(Method::GET, "/admin/recipients", None, None).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.headers[header::LOCATION], "/admin/sign-in?next=%2Fadmin%2Frecipients");
    let root = api.call(Method::GET, "/", None, None).await;
    assert_eq!(root.headers[header::LOCATION], "/admin");
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused() {
    let api = TestApi::seeded().await;
    let (cookie, _) = session(&api, "carol", Role::OrganizationManagement).await;
    let id = alice_id(&api).await;
    let reply = post_form(&api, &format!("/admin/recipients/{id}/unlock"), &cookie, "csrf=wrong").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text.contains("CSRF"), "{}", reply.text);
}

#[tokio::test]
async fn a_typed_pin_that_breaks_rules_lists_every_rule_and_is_never_echoed() {
    let api = TestApi::seeded().await;
    let (cookie, csrf) = session(&api, "carol", Role::OrganizationManagement).await;
    let id = alice_id(&api).await;
    let form = format!("csrf={csrf}&pin_mode=typed&pin=1234&require_reset=on");
    let reply = post_form(&api, &format!("/admin/recipients/{id}/reset-pin"), &cookie, &form).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text.contains("at least 6 digits"), "{}", reply.text);
    assert!(reply.text.contains("consecutive digits"), "{}", reply.text);
    assert!(!reply.text.contains("1234\""), "the PIN came back");
    // Accepted: the result page names the address the PIN went to.
    let form = format!("csrf={csrf}&pin_mode=generate&require_reset=on");
    let reply = post_form(&api, &format!("/admin/recipients/{id}/reset-pin"), &cookie, &form).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let done = page(&api, reply.headers[header::LOCATION].to_str().unwrap(), &cookie).await;
    assert!(done.text.contains("alice@example.com"), "{}", done.text);
    assert!(done.text.contains("A new PIN was generated"), "{}", done.text);
}

#[tokio::test]
async fn a_forbidden_page_answers_403_naming_the_role() {
    let api = TestApi::seeded().await;
    let (cookie, csrf) = session(&api, "dave", Role::HelpDesk).await;
    let reply = page(&api, "/admin/policies", &cookie).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text.contains("Help Desk"), "{}", reply.text);
    let form = format!(
        "csrf={csrf}&name=x&dial_plan=Main&min_pin_length=6&pin_lifetime=60&pin_history_count=5\
         &logon_failures_before_pin_reset=5&max_logon_attempts=15"
    );
    let reply = post_form(&api, "/admin/policies/new", &cookie, &form).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let (viewer, _) = session(&api, "erin", Role::ViewOnly).await;
    let id = alice_id(&api).await;
    let reply = page(&api, &format!("/admin/recipients/{id}/voicemail"), &viewer).await;
    assert_eq!(reply.status, StatusCode::OK);
    let main = reply.text.split("<main").nth(1).unwrap();
    assert!(!main.contains("<button"), "View-Only sees a button: {main}");
    assert!(!main.contains("Reset PIN"), "{main}");
}

#[tokio::test]
async fn problem_types_resolve_to_pages() {
    let api = TestApi::empty().await;
    let problem =
        api.call(Method::GET, "/api/v1/mailboxes/nobody@example.com", Some(&token(Role::ViewOnly)), None).await;
    let reply = api.call(Method::GET, problem.json["type"].as_str().unwrap(), None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text.contains("not-found"), "{}", reply.text);
    let unknown = api.call(Method::GET, "/problems/no-such-problem", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_um_mailbox_page_plays_the_recorded_name_and_greetings() {
    use voicepin_core::context::{Actor, Channel, Proof, RequestContext};
    use voicepin_core::recording::{RecordedAudio, RecordingKind};

    let mut captured = None;
    let api = TestApi::seeded_with(|state| captured = Some(state.voicepin.clone())).await;
    let voicepin = captured.unwrap();
    let id = alice_id(&api).await;
    let (cookie, _) = session(&api, "erin", Role::ViewOnly).await;
    let url = format!("/admin/recipients/{id}/voicemail");
    let before = page(&api, &url, &cookie).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.text.contains("Recorded name") && !before.text.contains("<audio"), "{}", before.text);

    // Alice records her name by phone (as the owner, proved by her PIN).
    let owner = RequestContext::new(
        Actor::MailboxOwner { mailbox: id.parse().unwrap(), address: "alice@example.com".into(), proof: Proof::Pin },
        Channel::Phone,
    );
    let audio = RecordedAudio::from_mulaw(vec![0x80; 12_000]).unwrap();
    voicepin.save_recording(&owner, &id, RecordingKind::Name, audio).await.unwrap();

    let after = page(&api, &url, &cookie).await;
    let src = format!("/admin/recipients/{id}/recordings/name");
    assert!(after.text.contains(&format!("<audio controls preload=\"none\" src=\"{src}\"")), "{}", after.text);
    assert!(after.text.contains("1.5 s"), "{}", after.text);
    assert_eq!(after.text.matches("<audio").count(), 1, "only what was recorded has a player");

    let wav = page(&api, &src, &cookie).await;
    assert_eq!(wav.status, StatusCode::OK);
    assert_eq!(wav.content_type(), "audio/wav");
    assert!(wav.text.starts_with("RIFF"));
    assert_eq!(wav.headers[header::CACHE_CONTROL], "no-store");
    let missing = page(&api, &format!("/admin/recipients/{id}/recordings/personal-greeting"), &cookie).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Behind the session: a stranger is sent to sign in.
    let stranger = api.call(Method::GET, &src, None, None).await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
}
