//! The Exchange stories through the API: mailboxes, PINs, policies, dial plans, audit.

use axum::http::{Method, StatusCode};
use serde_json::json;
use voicepin_core::access::Role;

use crate::support::{TestApi, principal_name, token};

fn admin() -> String {
    token(Role::OrganizationManagement)
}

#[tokio::test]
async fn enable_get_update_disable() {
    let api = TestApi::seeded().await;
    let reply = api.call(Method::GET, "/api/v1/mailboxes/12345", Some(&admin()), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let mailbox = &reply.json;
    assert_eq!(mailbox["identity"], "alice@example.com");
    assert_eq!(mailbox["primarySmtpAddress"], "alice@example.com");
    assert_eq!(mailbox["umMailboxPolicy"], "Main Default Policy");
    assert_eq!(mailbox["umDialPlan"], "Main");
    assert_eq!(mailbox["extensions"], json!(["12345"]));
    assert_eq!(mailbox["umEnabled"], true);
    for key in [
        "id",
        "alias",
        "displayName",
        "firstName",
        "lastName",
        "phoneNumbers",
        "subscriberAccessEnabled",
        "pinlessAccessToVoiceMailEnabled",
        "whenCreated",
    ] {
        assert!(mailbox.get(key).is_some(), "{key} in {mailbox}");
    }

    let reply = api
        .call(
            Method::PATCH,
            "/api/v1/mailboxes/alice@example.com",
            Some(&admin()),
            Some(json!({"displayName": "Alice L.", "phoneNumbers": ["+15550100"], "extensions": ["12345", "54321"]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["displayName"], "Alice L.");
    assert_eq!(reply.json["extensions"], json!(["12345", "54321"]));

    let reply = api
        .call(Method::DELETE, "/api/v1/mailboxes/alice@example.com?keepProperties=false", Some(&admin()), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    assert!(reply.text.is_empty());
    let reply = api.call(Method::GET, "/api/v1/mailboxes/alice@example.com/pin", Some(&admin()), None).await;
    assert!(reply.status == StatusCode::NOT_FOUND || reply.json["umEnabled"] == false, "{}", reply.text);
}

#[tokio::test]
async fn validate_only_changes_nothing() {
    let api = TestApi::seeded().await;
    let body = json!({"identity": "bob@example.com", "umMailboxPolicy": "Main Default Policy", "extensions": ["22222"], "validateOnly": true});
    let reply = api.call(Method::POST, "/api/v1/mailboxes", Some(&admin()), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["primarySmtpAddress"], "bob@example.com");
    let reply = api.call(Method::GET, "/api/v1/mailboxes/bob@example.com", Some(&admin()), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_pages_with_a_cursor() {
    let api = TestApi::seeded().await;
    for i in 0..4 {
        let body = json!({"identity": format!("user{i}@example.com"), "umMailboxPolicy": "Main Default Policy", "extensions": [format!("2000{i}")]});
        let reply = api.call(Method::POST, "/api/v1/mailboxes", Some(&admin()), Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let mut seen = Vec::new();
    let mut uri = "/api/v1/mailboxes?limit=2".to_owned();
    loop {
        let reply = api.call(Method::GET, &uri, Some(&token(Role::ViewOnly)), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let items = reply.json["items"].as_array().unwrap();
        seen.extend(items.iter().map(|m| m["primarySmtpAddress"].as_str().unwrap().to_owned()));
        match reply.json["next"].as_str() {
            Some(next) => uri = format!("/api/v1/mailboxes?limit=2&after={next}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 5, "{seen:?}");

    let reply = api
        .call(
            Method::GET,
            "/api/v1/mailboxes?search=alice&policy=Main%20Default%20Policy&dialPlan=Main",
            Some(&admin()),
            None,
        )
        .await;
    assert_eq!(reply.json["items"].as_array().unwrap().len(), 1, "{}", reply.text);
    let reply = api.call(Method::GET, "/api/v1/mailboxes?lockedOut=true", Some(&admin()), None).await;
    assert_eq!(reply.json["items"].as_array().unwrap().len(), 0, "{}", reply.text);
}

#[tokio::test]
async fn pin_reset_lock_and_unlock() {
    let api = TestApi::seeded().await;
    let help_desk = token(Role::HelpDesk);
    let reply = api.call(Method::GET, "/api/v1/mailboxes/alice@example.com/pin", Some(&help_desk), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["userId"], "alice@example.com");
    assert_eq!(reply.json["pinExpired"], false);
    assert_eq!(reply.json["lockedOut"], false);

    let reply = api
        .call(Method::POST, "/api/v1/mailboxes/alice@example.com/lock", Some(&token(Role::UmManagement)), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["lockedOut"], true);
    let reply = api.call(Method::GET, "/api/v1/mailboxes?lockedOut=true", Some(&help_desk), None).await;
    assert_eq!(reply.json["items"].as_array().unwrap().len(), 1, "{}", reply.text);
    // Get-UMMailboxPIN without an identity: one page of PIN states, with the same filters.
    let reply = api.call(Method::GET, "/api/v1/pins?lockedOut=true&limit=5", Some(&help_desk), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let states = reply.json["items"].as_array().unwrap();
    assert_eq!(states.len(), 1, "{}", reply.text);
    assert_eq!((&states[0]["userId"], &states[0]["lockedOut"]), (&json!("alice@example.com"), &json!(true)));
    assert!(reply.json.get("next").is_none(), "{}", reply.text);

    let reply = api.call(Method::POST, "/api/v1/mailboxes/alice@example.com/unlock", Some(&help_desk), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["lockedOut"], false);

    let reply = api
        .call(
            Method::PUT,
            "/api/v1/mailboxes/alice@example.com/pin",
            Some(&help_desk),
            Some(json!({"sendEmail": false})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["pinExpired"], true);
}

#[tokio::test]
async fn policies_and_dial_plans() {
    let api = TestApi::seeded().await;
    let reply = api
        .call(
            Method::POST,
            "/api/v1/policies",
            Some(&admin()),
            Some(json!({"name": "Strict", "umDialPlan": "Main", "minPinLength": 8, "pinLifetime": "unlimited",
                "blockKeypadLines": true, "resetPinText": "Call the help desk."})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let policy = &reply.json;
    assert_eq!(policy["identity"], "Strict");
    assert_eq!(policy["umDialPlan"], "Main");
    assert_eq!(policy["minPinLength"], 8);
    assert_eq!(policy["pinLifetime"], "unlimited");
    assert_eq!(policy["pinHistoryCount"], 5);
    assert_eq!(policy["logonFailuresBeforePinReset"], 5);
    assert_eq!(policy["maxLogonAttempts"], 15);
    assert_eq!(policy["blockKeypadLines"], true);
    assert_eq!(policy["blockCommonPins"], false);
    assert_eq!(policy["resetPinText"], "Call the help desk.");
    assert_eq!(policy["allowSubscriberAccess"], true);

    let reply = api.call(Method::GET, "/api/v1/policies?dialPlan=Main", Some(&token(Role::ViewOnly)), None).await;
    let names: Vec<&str> = reply.json.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Main Default Policy", "Strict"]);
    let reply =
        api.call(Method::PATCH, "/api/v1/policies/Strict", Some(&admin()), Some(json!({"name": "Stricter"}))).await;
    assert_eq!(reply.json["name"], "Stricter", "{}", reply.text);
    let reply = api.call(Method::DELETE, "/api/v1/policies/Stricter", Some(&admin()), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let reply = api.call(Method::GET, "/api/v1/policies/Stricter", Some(&admin()), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let reply = api
        .call(
            Method::POST,
            "/api/v1/dial-plans",
            Some(&admin()),
            Some(json!({"name": "Branch", "numberOfDigitsInExtension": 4, "accessTelephoneNumbers": ["+15550199"],
                "generateUmMailboxPolicy": false})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json["numberOfDigitsInExtension"], 4);
    assert_eq!(reply.json["accessTelephoneNumbers"], json!(["+15550199"]));
    assert_eq!(reply.json["logonFailuresBeforeDisconnect"], 3);
    let reply = api.call(Method::GET, "/api/v1/policies?dialPlan=Branch", Some(&admin()), None).await;
    assert_eq!(reply.json, json!([]));
    let reply = api
        .call(Method::PATCH, "/api/v1/dial-plans/Branch", Some(&admin()), Some(json!({"numberOfDigitsInExtension": 6})))
        .await;
    assert_eq!(reply.json["numberOfDigitsInExtension"], 6, "{}", reply.text);
    let reply = api.call(Method::GET, "/api/v1/dial-plans", Some(&admin()), None).await;
    assert_eq!(reply.json.as_array().unwrap().len(), 2);
    let reply = api.call(Method::DELETE, "/api/v1/dial-plans/Branch", Some(&admin()), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
}

#[tokio::test]
async fn writes_are_audited_with_actor_role_channel_and_source() {
    let api = TestApi::seeded().await;
    let reply = api
        .call(Method::POST, "/api/v1/mailboxes/alice@example.com/lock", Some(&token(Role::UmManagement)), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = api
        .call(
            Method::GET,
            "/api/v1/audit-events?mailbox=alice@example.com&action=mailboxLocked",
            Some(&token(Role::ViewOnly)),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let events = reply.json.as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", reply.text);
    let event = &events[0];
    assert_eq!(event["actor"], principal_name(Role::UmManagement));
    assert_eq!(event["role"], "umManagement");
    assert_eq!(event["channel"], "api");
    assert_eq!(event["source"], "203.0.113.7");
    assert_eq!(event["target"], "alice@example.com");

    let actor = principal_name(Role::OrganizationManagement);
    let reply =
        api.call(Method::GET, &format!("/api/v1/audit-events?actor={actor}&limit=1"), Some(&admin()), None).await;
    assert_eq!(reply.json.as_array().unwrap().len(), 1, "{}", reply.text);
    let reply = api.call(Method::GET, "/api/v1/audit-events?since=2199-01-01T00:00:00Z", Some(&admin()), None).await;
    assert_eq!(reply.json, json!([]));
    let reply = api.call(Method::GET, "/api/v1/audit-events?until=2199-01-01T00:00:00Z", Some(&admin()), None).await;
    assert!(reply.json.as_array().unwrap().len() >= 3, "{}", reply.text);
    // `type`, `from` and `to` are other names of `action`, `since` and `until`.
    let reply = api
        .call(
            Method::GET,
            "/api/v1/audit-events?type=mailboxLocked&from=2000-01-01T00:00:00Z&to=2199-01-01T00:00:00Z",
            Some(&admin()),
            None,
        )
        .await;
    assert_eq!(reply.json.as_array().unwrap().len(), 1, "{}", reply.text);
}
