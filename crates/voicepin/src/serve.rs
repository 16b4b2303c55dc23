//! `voicepin serve`: the long-running service. The HTTP API (on `http.listen`, by default
//! 127.0.0.1:8080), the telephone front end (SIP on `sip.listen`, by default 127.0.0.1:5060,
//! UDP and TCP) and the mail delivery worker run side by side until SIGTERM or SIGINT;
//! requests in flight finish, calls get their BYE, and due mail goes out, before the process
//! ends.
//!
//! The worker sends the mail of the whole data directory, local commands' included, while
//! it holds the data directory's mail sender lock ([`crate::sender`]).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use voicepin_core::VoicePin;
use voicepin_core::access::Role;
use voicepin_core::accounts::AdminAccount;
use voicepin_core::audit::RequestContext;
use voicepin_core::tokens::TokenLifetime;
use voicepin_telephony::media::dtmf::DtmfSource;
use voicepin_telephony::media::prompts::PromptSet;
use voicepin_telephony::{CallOutcome, CallTelemetry, Calls, Settings, Telephony};
use voicepin_web::Metrics;

use crate::app::App;
use crate::config::{HttpConfig, SipConfig};
use crate::http;
use crate::sender::ServerLock;

/// Runs the service until SIGTERM or SIGINT.
pub async fn serve(app: &App, settings: &HttpConfig, sip: &SipConfig, poll: Duration) -> Result<()> {
    let listener = http::bind(&settings.listen).await?;
    let metrics_listener = match &settings.metrics_listen {
        Some(address) => Some(
            tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening on {address} (http.metrics_listen)"))?,
        ),
        None => None,
    };
    let address = listener.local_addr().context("reading the listening address")?;
    let telephony = bind_telephony(sip, app).await?;
    first_start_admin(&app.voicepin).await?;
    first_start_token(&app.voicepin).await?;

    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let (stop, mut http_stopped) = watch::channel(false);
    let http_task = tokio::spawn(http::serve(
        listener,
        metrics_listener,
        app.voicepin.clone(),
        app.metrics.clone(),
        settings.clone(),
        async move {
            let _ = http_stopped.wait_for(|s| *s).await;
        },
    ));
    let sip_task = telephony.map(|telephony| {
        eprintln!("voicepin: answering SIP calls on {} (UDP and TCP)", telephony.local_addr());
        let mut sip_stopped = stop.subscribe();
        tokio::spawn(telephony.run(async move {
            let _ = sip_stopped.wait_for(|s| *s).await;
        }))
    });
    // Taken before the banner: once it shows, local commands leave their mail to this server.
    app.stop_noting_queued_mail();
    let mut sending = ServerLock::try_acquire(app.data_dir())?;
    if sending.is_none() {
        tracing::info!(
            "another process sends the mail of this data directory (a local command, or another \
             `voicepin serve`); this server sends it once that process is done"
        );
    }
    eprintln!(
        "voicepin: serving http://{address} (API /api/v1, docs /api/docs); delivering mail every {}s; \
         stop with SIGTERM or Ctrl-C",
        poll.as_secs_f64()
    );

    let mut ticks = tokio::time::interval(poll);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if sending.is_none() {
                    sending = take_the_mail(app);
                }
                if sending.is_some() {
                    deliver_once(app).await;
                }
            }
            () = woken(sending.as_ref()) => deliver_once(app).await,
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    eprintln!("voicepin: stopping");
    let _ = stop.send(true);
    if let Some(sip_task) = sip_task
        && let Err(error) = sip_task.await
    {
        tracing::warn!(%error, "the SIP task ended abnormally");
    }
    match http_task.await {
        Ok(result) => result?,
        Err(error) => tracing::warn!(%error, "the HTTP server task ended abnormally"),
    }
    // Whatever is due goes out before the process ends; the rest stays queued.
    if sending.is_some() {
        deliver_once(app).await;
    }
    Ok(())
}

/// Binds SIP (UDP and TCP) when `sip.enabled`.
async fn bind_telephony(sip: &SipConfig, app: &App) -> Result<Option<Telephony>> {
    if !sip.enabled {
        return Ok(None);
    }
    // Checked when the configuration was loaded.
    let listen = sip.listen_addr().context("sip.listen")?;
    let rtp_ports = sip.rtp_range().context("sip.rtp_ports")?;
    let settings = Settings {
        listen,
        advertise: sip.advertise_ip(),
        rtp_ports,
        answer_after: Duration::from_millis(sip.answer_after_ms.into()),
    };
    let prompts = match &sip.prompts {
        Some(folder) => PromptSet::load(Some(folder))
            .with_context(|| format!("loading the telephone prompts (sip.prompts = {})", folder.display()))?,
        None => PromptSet::embedded().context("loading the telephone prompts")?,
    };
    let calls = Calls::new()
        .with_telemetry(Arc::new(CallMetrics(app.metrics.clone())))
        .with_flow(app.voicepin.clone(), prompts);
    let telephony = Telephony::bind(&settings, calls).await.context("starting SIP (sip.listen)")?;
    Ok(Some(telephony))
}

/// The telephone front end's reports, into `/metrics`.
#[derive(Debug)]
struct CallMetrics(Arc<Metrics>);

impl CallTelemetry for CallMetrics {
    fn call_started(&self) {
        self.0.call_started();
    }

    fn call_ended(&self, outcome: CallOutcome, answered: bool) {
        self.0.call_ended(outcome.as_str(), answered);
    }

    fn digit(&self, source: DtmfSource) {
        self.0.dtmf_digit(source.as_str());
    }
}

/// Resolves when a local command woke this server; never while it does not send.
async fn woken(sending: Option<&ServerLock>) {
    match sending {
        Some(lock) => lock.woken().await,
        None => std::future::pending().await,
    }
}

/// The data directory's mail sender lock ([`crate::sender`]), or `None` while a local
/// command delivers (the next tick tries again) or another server holds it.
fn take_the_mail(app: &App) -> Option<ServerLock> {
    match ServerLock::try_acquire(app.data_dir()) {
        Ok(Some(lock)) => {
            tracing::info!("this server now sends the mail of its data directory");
            Some(lock)
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "the mail sender lock failed; mail stays queued");
            None
        }
    }
}

async fn deliver_once(app: &App) {
    match app.deliver_mail().await {
        Ok(report) if !report.is_empty() => {
            tracing::info!(sent = report.sent, retried = report.retried, failed = report.failed, "mail delivery");
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(error = %format!("{error:#}"), "mail delivery failed; messages stay queued"),
    }
}

/// On the first start (no administrator account at all), creates the account `admin`
/// (Organization Management) and prints its one-time password once, on standard error. It
/// must be changed at the first sign-in (`POST /api/v1/sessions`, then
/// `PUT /api/v1/account/password`). Lost: `voicepin admin recover` on the data directory.
async fn first_start_admin(voicepin: &VoicePin) -> Result<()> {
    let context = RequestContext::local(crate::input::local_user());
    if !voicepin.list_accounts(&context).await?.is_empty() {
        return Ok(());
    }
    let (account, password) =
        voicepin.new_account(&context, AdminAccount::DEFAULT_NAME, Role::OrganizationManagement).await?;
    eprintln!(
        "voicepin: first start: administrator {:?}, one-time password (shown once): {}",
        account.name,
        password.expose()
    );
    Ok(())
}

/// On the first start (no API token at all), makes an Organization Management token and
/// prints it once: the way in for the first administrator.
async fn first_start_token(voicepin: &VoicePin) -> Result<()> {
    let context = RequestContext::local(crate::input::local_user());
    if !voicepin.list_tokens(&context).await?.is_empty() {
        return Ok(());
    }
    let (token, secret) = voicepin
        .create_token(&context, "initial-admin", Role::OrganizationManagement, Some(TokenLifetime::Days(30)))
        .await?;
    eprintln!(
        "voicepin: first start: API token {:?} (Organization Management, expires in 30 days), shown once:\n\n    {}\n\n\
         Use it as `Authorization: Bearer <token>`; make named tokens with `voicepin token create` and revoke \
         this one with `voicepin token revoke initial-admin`.",
        token.name,
        secret.expose()
    );
    Ok(())
}
