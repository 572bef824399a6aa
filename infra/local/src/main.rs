//! `beddora-local`: every router under `/api` on one port with the embedded adapters, data
//! kept in a local folder and mail printed from an outbox; the jobs on the template's
//! queues and schedule, in-process; the Amazon stand-in as Amazon, with a demo seller that
//! keeps selling. Never deployed.

use beddora_local::jobs::{self, Queues, Source};
use shared::adapters::{
    EmbeddedBus, EmbeddedQueue, EmbeddedSecrets, EmbeddedStore, Outbox, SmtpMailer,
};
use shared::http::AppState;
use shared::ports::{Clock, Mailer, Queue, Secrets, SystemClock};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Concurrent pollers of the sync queue.
const SYNC_POLLERS: usize = 3;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    shared::telemetry::init();
    let data_dir = PathBuf::from(std::env::var("DATA_DIR").unwrap_or_else(|_| ".data".into()));
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create DATA_DIR {}: {e}", data_dir.display()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let embedded_queues = EmbeddedQueue::open(&data_dir.join("queues.redb"), clock.clone())
        .map_err(|e| format!("cannot open the queues in {}: {e}", data_dir.display()))?;
    let q = Queues::declare(&embedded_queues);
    let queues: Arc<dyn Queue> = Arc::new(embedded_queues);
    let stand_in = start_stand_in().await?;
    // With the stand-in running, it is the Amazon this runner connects to, unless AMAZON_*
    // say otherwise.
    let mut defaults = match &stand_in {
        Some((st, url)) => beddora_local::stand_in_defaults(st, url, &q.notifications),
        None => vec![("NOTIFICATIONS_QUEUE_ARN", jobs::arn_of(&q.notifications))],
    };
    // Amazon comes back through this runner's return hop, which forwards the browser to the
    // frontend's callback page where the frontend serves it.
    let api_port = std::env::var("PORT").unwrap_or_else(|_| "3001".into());
    defaults.push((
        "AMAZON_RETURN_URL",
        format!("http://localhost:{api_port}/api/amazon/oauth/return"),
    ));
    let config = beddora_local::local_config(&defaults, std::env::vars())?;
    let store = Arc::new(EmbeddedStore::open(
        &data_dir.join("store.redb"),
        clock.clone(),
    )?);
    let secrets = Arc::new(EmbeddedSecrets::open(&data_dir.join("secrets.redb"))?);
    let keys = beddora_local::app_keys(secrets.as_ref(), &config.app_secret_name).await?;
    let amazon = beddora_local::amazon_app(
        &config,
        secrets.as_ref(),
        store.clone(),
        Arc::new(SystemClock),
        stand_in
            .as_ref()
            .map(|(st, url)| (st.as_ref(), url.as_str())),
    )
    .await?;
    // Login with Amazon returns advertisers to this runner's Ads callback.
    let ads_return = std::env::var("ADS_RETURN_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| format!("http://localhost:{api_port}/api/ppc/ads/callback"));
    let ads = beddora_local::ads_access(
        &config,
        secrets.clone(),
        store.clone(),
        Arc::new(SystemClock),
        stand_in
            .as_ref()
            .map(|(st, url)| (st.as_ref(), url.as_str())),
        ads_return,
    )
    .await?;
    if ads.is_none() {
        eprintln!("beddora-local: connecting Amazon Ads is off (no adsClientId/adsClientSecret in the app secret)");
    }
    match (&amazon, &config.amazon.base_url) {
        (Some(_), Some(url)) => eprintln!("beddora-local: Amazon is {url} (connecting enabled)"),
        (Some(_), None) => eprintln!("beddora-local: Amazon is Amazon (connecting enabled)"),
        (None, _) => eprintln!(
            "beddora-local: connecting Amazon is off (no AMAZON_APP_ID or LWA credentials)"
        ),
    }
    let mailer: Arc<dyn Mailer> = match std::env::var("SMTP_URL").ok().filter(|s| !s.is_empty()) {
        Some(url) => Arc::new(SmtpMailer::new(&url, &config.mail_from)?),
        None => Arc::new(Outbox::printing(Some(data_dir.join("outbox.log")))),
    };
    let sweeper = store.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = sweeper.sweep_expired().await {
                tracing::warn!(error = %e, "TTL sweep failed");
            }
        }
    });

    // The jobs, on the template's schedule and queues.
    jobs::schedule(
        queues.clone(),
        clock.clone(),
        q.dispatch.clone(),
        std::time::Duration::from_secs(60),
    );
    let dispatcher = Arc::new(job_sync_dispatch::Dispatcher {
        store: store.clone(),
        queues: queues.clone(),
        clock: clock.clone(),
        sync_queue: q.sync.clone(),
        batch: 100,
    });
    jobs::consume(
        "job-sync-dispatch",
        queues.clone(),
        clock.clone(),
        q.dispatch.clone(),
        Source {
            visibility: chrono::Duration::seconds(180),
            timeout: chrono::Duration::seconds(30),
            batch: 10,
        },
        move |event, deadline| {
            let d = dispatcher.clone();
            async move { d.handle(event, deadline).await }
        },
    );
    // Domain events go on the embedded bus (as on EventBridge, an event no rule matches goes
    // nowhere).
    let embedded_bus = EmbeddedBus::new(queues.clone(), clock.clone());
    // Profit rollups: the template's RollupsRule, and job-rollups on its queue.
    embedded_bus.route(
        shared::adapters::embedded_bus::Pattern {
            source: "beddora.sync".into(),
            detail_types: job_rollups::DETAIL_TYPES.map(String::from).to_vec(),
        },
        q.rollups.clone(),
    );
    let rollups = Arc::new(job_rollups::consumer_with_recheck(
        store.clone(),
        queues.clone(),
        q.rollups.clone(),
    ));
    jobs::consume(
        "job-rollups",
        queues.clone(),
        clock.clone(),
        q.rollups.clone(),
        Source {
            visibility: chrono::Duration::seconds(360),
            timeout: chrono::Duration::seconds(60),
            batch: 10,
        },
        move |event, deadline| {
            let r = rollups.clone();
            async move { job_rollups::handle(&r, event, deadline.timestamp_millis() as u64).await }
        },
    );
    // The template's ExchangeRatesSchedule: the ECB's rates daily (and once at start), from
    // ECB_RATES_URL, else the stand-in's copy of the ECB data portal, else the ECB's.
    let rates_source = std::env::var("ECB_RATES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| {
            stand_in
                .as_ref()
                .map(|(_, url)| format!("{url}/service/data/EXR/D..EUR.SP00.A"))
        });
    jobs::schedule_rates(
        queues.clone(),
        clock.clone(),
        q.rollups.clone(),
        rates_source,
    );
    // Inventory forecasts: the template's ForecastsRule and daily schedule, and job-forecasts.
    embedded_bus.route(
        shared::adapters::embedded_bus::Pattern {
            source: "beddora.sync".into(),
            detail_types: job_forecasts::DETAIL_TYPES.map(String::from).to_vec(),
        },
        q.forecasts.clone(),
    );
    jobs::schedule(
        queues.clone(),
        clock.clone(),
        q.forecasts.clone(),
        std::time::Duration::from_secs(24 * 3600),
    );
    let bus: Arc<dyn shared::ports::bus::EventBus> = Arc::new(embedded_bus);
    let forecasts = Arc::new(job_forecasts::consumer(
        store.clone(),
        bus.clone(),
        clock.clone(),
    ));
    jobs::consume(
        "job-forecasts",
        queues.clone(),
        clock.clone(),
        q.forecasts.clone(),
        Source {
            visibility: chrono::Duration::seconds(900),
            timeout: chrono::Duration::seconds(150),
            batch: 10,
        },
        move |event, deadline| {
            let f = forecasts.clone();
            async move { job_forecasts::handle(&f, event, deadline.timestamp_millis() as u64).await }
        },
    );
    let notifications = Arc::new(job_notifications::consumer(
        job_notifications::Ports {
            store: store.clone(),
            secrets: secrets.clone(),
            secret_prefix: config.secret_prefix.clone(),
            queues: queues.clone(),
            pacer: Arc::new(SystemClock),
            amazon: amazon.clone(),
            bus: Some(bus.clone()),
        },
        q.notifications.clone(),
    ));
    jobs::consume(
        "job-notifications",
        queues.clone(),
        clock.clone(),
        q.notifications.clone(),
        Source {
            visibility: chrono::Duration::seconds(360),
            timeout: chrono::Duration::seconds(60),
            batch: 10,
        },
        move |event, deadline| {
            let c = notifications.clone();
            async move { job_notifications::handle(&c, event, deadline.timestamp_millis() as u64).await }
        },
    );
    // The sync worker needs our Amazon application; a few pollers, as the event source runs
    // several invocations at once (the dataset leases keep each dataset to one at a time).
    if let Some(amazon) = &amazon {
        let worker = Arc::new(job_sync_worker::runtime_with(
            &job_sync_worker::Ports {
                store: store.clone(),
                queues: queues.clone(),
                secrets: secrets.clone(),
                bus: bus.clone(),
                amazon: amazon.clone(),
                pacer: Arc::new(SystemClock),
            },
            &config.secret_prefix,
            q.sync.clone(),
            job_sync_worker::registry_with(ads.clone()),
        ));
        for _ in 0..SYNC_POLLERS {
            let worker = worker.clone();
            jobs::consume(
                "job-sync-worker",
                queues.clone(),
                clock.clone(),
                q.sync.clone(),
                Source {
                    visibility: chrono::Duration::seconds(900),
                    timeout: chrono::Duration::seconds(150),
                    batch: 1,
                },
                move |event, deadline| {
                    let w = worker.clone();
                    async move {
                        shared::jobs::lambda::handle(
                            w.as_ref(),
                            event,
                            deadline.timestamp_millis() as u64,
                        )
                        .await
                    }
                },
            );
        }
    }
    if let Some((st, _)) = &stand_in {
        st.set_sink(Arc::new(jobs::QueueSink::new(
            queues.clone(),
            &[&q.notifications],
        )));
        st.start_live().await;
        jobs::keep_selling(st.clone(), std::time::Duration::from_secs(30));
    }

    let state = AppState {
        amazon,
        config: Arc::new(config),
        store,
        secrets: secrets as Arc<dyn Secrets>,
        mailer,
        clock,
        keys: Arc::new(keys),
        background: Default::default(),
    };
    let app = beddora_local::app_with(state, ads);
    let port: u16 = std::env::var("PORT")
        .ok()
        .map(|p| p.parse())
        .transpose()
        .map_err(|_| "PORT must be a number")?
        .unwrap_or(3001);
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let addr: SocketAddr = format!("{host}:{port}").parse()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, data_dir = %data_dir.display(), "beddora-local serving /api and /health");
    eprintln!(
        "beddora-local: http://{addr}/api (data in {})",
        data_dir.display()
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// The Amazon stand-in with a demo seller, on its own port (`STAND_IN_PORT`, default 3050;
/// `0` disables it), and its base URL.
async fn start_stand_in(
) -> Result<Option<(amazon_stand_in::server::Shared, String)>, Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("STAND_IN_PORT")
        .ok()
        .map(|p| p.parse())
        .transpose()
        .map_err(|_| "STAND_IN_PORT must be a number")?
        .unwrap_or(3050);
    if port == 0 {
        return Ok(None);
    }
    let orders = std::env::var("STAND_IN_ORDERS")
        .ok()
        .map(|p| p.parse())
        .transpose()
        .map_err(|_| "STAND_IN_ORDERS must be a number")?
        .unwrap_or(2000);
    // The demo seller's two years end now (to the hour, so a restart within the hour makes
    // the same seller), so "today" and "last 30 days" hold real figures; from there it keeps
    // selling on the real clock.
    let now = chrono::Utc::now();
    let end = chrono::DurationRound::duration_trunc(now, chrono::Duration::hours(1)).unwrap_or(now);
    let seller = amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders,
        end,
        ..Default::default()
    });
    // Its clock is the wall clock: read after generating, which takes a moment, so that
    // "now" at the stand-in and in the runner agree (Amazon checks `…Before` against it).
    let st = amazon_stand_in::StandIn::new(
        seller,
        amazon_stand_in::limits::Clock::Real {
            started: std::time::Instant::now(),
            at_start: chrono::Utc::now(),
        },
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port} for the Amazon stand-in: {e}"))?;
    eprintln!("beddora-local: Amazon stand-in (demo seller {}, {orders} orders) on http://127.0.0.1:{port}", st.seller.seller_id);
    let served = st.clone();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, amazon_stand_in::router(served)).await {
            tracing::error!(error = %e, "Amazon stand-in stopped");
        }
    });
    Ok(Some((st, format!("http://127.0.0.1:{port}"))))
}
